package io.bimm.model.checkpoint;

import java.io.IOException;

/**
 * A checkpoint whose content is wrong: missing or truncated manifest, a file that does not match
 * its checksum, a missing file. Reading it again cannot help, unlike an {@link IOException} of the
 * file system (a network file system's hiccup).
 */
public class InvalidCheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    public InvalidCheckpointException(String message) {
        super(message);
    }

    public InvalidCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
