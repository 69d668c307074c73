package io.bimm.schemas;

/** A record could not be encoded or decoded; the message says which and why. */
public class AvroCodecException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public AvroCodecException(String message, Throwable cause) {
        super(message, cause);
    }

    public AvroCodecException(String message) {
        super(message);
    }
}
