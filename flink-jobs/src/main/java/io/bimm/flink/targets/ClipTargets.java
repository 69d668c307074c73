package io.bimm.flink.targets;

/**
 * Full-frame targets of a clip's sampled frames (SPEC section 2), before patchifying.
 *
 * <p>T sampled frames of size S: {@code gabor} (T, S/8, S/8, 8) float, {@code contour} (T, S, S)
 * 0/1, {@code motion} (T, S, S, 3) uint8 {@code |x - y|}. V4 RGB is the frame itself.
 */
public record ClipTargets(int frames, int size, float[] gabor, byte[] contour, byte[] motion) {}
