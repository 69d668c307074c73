package io.bimm.flink.ingest;

import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.sample.DecodeLimits;
import io.bimm.schemas.DeadLetterReason;

/**
 * Applies the job's limits ({@link DecodeLimits}, {@code prep.max-*}) to each segment at ingest, so
 * that a segment the job would dead-letter for its size, frame size, frame count or decode time is
 * dead-lettered here instead of travelling to the job.
 *
 * <p>Each segment goes through the job's own {@link ClipDecoder} with these limits: the container
 * is opened and every video packet counted (frame count), the header's frame size checked, and the
 * first frames decoded under the decode-time deadline. The sampling is the smallest deterministic
 * one (16 x 16, two frames at stride 1), so this costs a demux and three decoded frames, not the
 * job's full decode. Not thread safe.
 */
public final class SegmentLimits implements AutoCloseable {

    private final DecodeLimits limits;
    private final ClipDecoder decoder;

    public SegmentLimits(DecodeLimits limits) {
        this.limits = limits;
        DecodeOptions probe =
                limits.applyTo(DecodeOptions.builder())
                        .optSize(16)
                        .optFrames(2)
                        .optStride(1)
                        .optDeterministic(true)
                        .optShortClipPolicy(DecodeOptions.ShortClipPolicy.LOOP)
                        .build();
        this.decoder = new ClipDecoder(probe);
    }

    /**
     * Rejects a whole file (or image) whose frames are larger than the limits, from its header,
     * before any segment is cut or pixel decoded.
     */
    public void checkFrameSize(int width, int height) throws IngestException {
        if (width > limits.maxWidth() || height > limits.maxHeight()) {
            throw new IngestException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "its frames are "
                            + width
                            + "x"
                            + height
                            + ", over the limit "
                            + limits.maxWidth()
                            + "x"
                            + limits.maxHeight()
                            + " (prep.max-width, prep.max-height)");
        }
    }

    /** Why the job would reject {@code segment}, or null when it passes every limit. */
    IngestReport.Rejection check(InputFile file, VideoSegmenter.Segment segment, String clipId) {
        try {
            require(segment, clipId);
            return null;
        } catch (IngestException e) {
            return new IngestReport.Rejection(file.path(), e.reason(), e.getMessage());
        }
    }

    /**
     * Throws what the job would reject {@code segment} for (its size, frame count, header, first
     * frames, decode time); the message starts with "segment N".
     */
    public void require(VideoSegmenter.Segment segment, String clipId) throws IngestException {
        byte[] data = segment.data();
        if (data.length > limits.maxBytes()) {
            throw new IngestException(
                    DeadLetterReason.OVER_SIZE,
                    "segment "
                            + segment.index()
                            + " is "
                            + data.length
                            + " bytes, over the job's "
                            + limits.maxBytes()
                            + "-byte limit (prep.max-bytes)");
        }
        if (segment.frameCount() > limits.maxFrames()) {
            throw new IngestException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "segment "
                            + segment.index()
                            + " has "
                            + segment.frameCount()
                            + " frames, over the limit of "
                            + limits.maxFrames()
                            + " (prep.max-frames); a shorter --segment-seconds may help");
        }
        try {
            decoder.decode(data, clipId, 0, 0);
        } catch (DecodeException e) {
            throw new IngestException(
                    e.reason(),
                    "segment " + segment.index() + ": " + e.getMessage() + hint(e.reason()),
                    e);
        } catch (RuntimeException e) {
            throw new IngestException(
                    DeadLetterReason.INTERNAL_ERROR, "segment " + segment.index() + ": " + e, e);
        }
    }

    private static String hint(DeadLetterReason reason) {
        return reason == DeadLetterReason.LIMIT_EXCEEDED
                ? " (prep.max-width, prep.max-height, prep.max-frames, prep.max-decode-time)"
                : "";
    }

    @Override
    public void close() {
        decoder.close();
    }
}
