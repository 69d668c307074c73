package io.bimm.flink.decode;

import io.bimm.schemas.DeadLetterReason;

/** A clip that cannot become a sample, with the dead-letter reason it maps to. */
public final class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    private final DeadLetterReason reason;

    public DecodeException(DeadLetterReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DecodeException(DeadLetterReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** The reason code for the dead letter. */
    public DeadLetterReason reason() {
        return reason;
    }
}
