package io.bimm.flink.targets;

/**
 * V2 target (SPEC section 2): a binary contour map of one frame; replaceable by a learned model.
 */
public interface ContourExtractor extends AutoCloseable {
    /**
     * Writes the contour map of one frame.
     *
     * @param gray8 (S, S) 8-bit gray, OpenCV {@code RGB2GRAY}
     * @param out (S, S) values 0 or 1, written from {@code outOffset}
     */
    void extract(byte[] gray8, int size, byte[] out, int outOffset);

    @Override
    default void close() {}
}
