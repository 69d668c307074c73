package io.bimm.flink.decode;

/**
 * How a native input is opened: the object first, then its opening steps; when a step fails, what
 * was opened is closed before the failure goes on. The one shape {@link MediaInput} (bytes, no
 * protocol) and the live URL input of {@code bimm ingest --follow} share; each keeps its own
 * protocol policy in its steps.
 */
public final class OpenOrClose {

    private OpenOrClose() {}

    /** A native input that closes without a checked exception, whatever state it is in. */
    public interface Input extends AutoCloseable {
        @Override
        void close();
    }

    /** The opening steps of an input. */
    @FunctionalInterface
    public interface Steps<T, E extends Exception> {
        void open(T input) throws E;
    }

    /**
     * Runs {@code steps} on {@code input}.
     *
     * @return {@code input}, open
     * @throws E what a step threw, after {@code input} was closed
     */
    public static <T extends Input, E extends Exception> T open(T input, Steps<? super T, E> steps)
            throws E {
        try {
            steps.open(input);
            return input;
        } catch (Throwable t) {
            input.close();
            throw t;
        }
    }
}
