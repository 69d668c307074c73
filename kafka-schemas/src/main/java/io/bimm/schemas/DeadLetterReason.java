package io.bimm.schemas;

/** The reason codes carried by {@link DeadLetter#getReasonCode()}. */
public enum DeadLetterReason {
    /** The file or record could not be read at all (I/O error, permission, missing). */
    UNREADABLE,
    /** The input is not a video (or, for images, not an image) FFmpeg can open. */
    NOT_VIDEO,
    /** The input is larger than the configured maximum size. */
    OVER_SIZE,
    /** The record's bytes are not a record of a known schema version. */
    BAD_RECORD,
    /** The video opened but its frames could not be decoded. */
    DECODE_ERROR,
    /** The clip has fewer frames than the sampling window needs (policy {@code reject}). */
    TOO_SHORT,
    /** Width, height, frame count or decode time exceeds a configured limit. */
    LIMIT_EXCEEDED,
    /** An unexpected failure while processing; the message holds the detail. */
    INTERNAL_ERROR,
    /** A record of the images topic that is not a JPEG or PNG image. */
    NOT_IMAGE;

    /** The code as written into {@link DeadLetter#getReasonCode()}. */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
