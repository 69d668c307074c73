package io.bimm.flink.cli;

/** A failure the user can act on; its message is the whole story and no stack trace is shown. */
public class UserException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
