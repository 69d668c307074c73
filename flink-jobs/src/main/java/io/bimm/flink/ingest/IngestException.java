package io.bimm.flink.ingest;

import io.bimm.schemas.DeadLetterReason;

/** An input that cannot be ingested, with the reason code written to the dead-letter topic. */
public class IngestException extends Exception {

    private static final long serialVersionUID = 1L;

    private final DeadLetterReason reason;

    public IngestException(DeadLetterReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public IngestException(DeadLetterReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
