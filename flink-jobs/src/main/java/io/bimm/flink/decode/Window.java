package io.bimm.flink.decode;

import java.util.SplittableRandom;

/**
 * One sample's SPEC 1 draw: its window (offset, sampled frames {@code x_i} and the frames {@code
 * y_i} before them) and its geometry (scale, resized size, crop, flip).
 */
record Window(
        int offset,
        int[] xIdx,
        int[] yIdx,
        int last,
        double scale,
        int width,
        int height,
        int cropX,
        int cropY,
        boolean flip) {

    /** Whether the resize, crop and flip are the same: the same frame gives the same pixels. */
    boolean sameGeometry(Window o) {
        return width == o.width
                && height == o.height
                && cropX == o.cropX
                && cropY == o.cropY
                && flip == o.flip;
    }

    /**
     * Draws a window from {@code rnd} in the order the sampling always has (offset, scale, crop x,
     * crop y, flip), for a clip of {@code f} frames of {@code width x height}.
     */
    static Window draw(
            DecodeOptions options,
            int f,
            boolean tooShort,
            int width,
            int height,
            SplittableRandom rnd) {
        int t = options.frames();
        int tau = options.stride();
        int s = options.size();
        // SPEC 1: o uniform in [1, F - (T-1)*tau - 1]; o = 1 when deterministic or looping.
        int offset = 1;
        if (!options.deterministic() && !tooShort) {
            offset = 1 + rnd.nextInt(f - (t - 1) * tau - 1);
        }
        int[] xIdx = new int[t];
        int[] yIdx = new int[t];
        int last = 0;
        for (int i = 0; i < t; i++) {
            xIdx[i] = Math.floorMod(offset + i * tau, f);
            yIdx[i] = Math.floorMod(offset + i * tau - 1, f);
            last = Math.max(last, Math.max(xIdx[i], yIdx[i]));
        }
        double c = options.deterministic() ? 1.0 : DecodeOptions.SCALES[rnd.nextInt(4)];
        int shortSide = Math.min(width, height);
        double target = Math.round(s / c);
        int nw = Math.max(s, (int) Math.round(width * target / shortSide));
        int nh = Math.max(s, (int) Math.round(height * target / shortSide));
        int cropX = options.deterministic() ? (nw - s) / 2 : rnd.nextInt(nw - s + 1);
        int cropY = options.deterministic() ? (nh - s) / 2 : rnd.nextInt(nh - s + 1);
        // the draw is taken even when flips are off, so crops stay the same either way
        boolean flip = !options.deterministic() && rnd.nextBoolean() && options.flip();
        return new Window(offset, xIdx, yIdx, last, c, nw, nh, cropX, cropY, flip);
    }
}
