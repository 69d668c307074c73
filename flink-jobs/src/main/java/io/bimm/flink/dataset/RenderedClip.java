package io.bimm.flink.dataset;

/** A generated clip, rendered frame by frame. */
interface RenderedClip {
    /** Frame {@code t} as BGR bytes, row-major. */
    byte[] frame(int t);
}
