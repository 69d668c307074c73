package io.bimm.flink.ingest.live;

/** A live source could not be opened or read; following retries it after a backoff. */
final class LiveSourceException extends Exception {

    private static final long serialVersionUID = 1L;

    private final LiveInput.End end;

    LiveSourceException(String message) {
        this(message, LiveInput.End.ERROR);
    }

    LiveSourceException(String message, LiveInput.End end) {
        super(message);
        this.end = end;
    }

    LiveInput.End end() {
        return end;
    }
}
