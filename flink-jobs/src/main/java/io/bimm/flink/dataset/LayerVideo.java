package io.bimm.flink.dataset;

import java.util.SplittableRandom;

/**
 * Renders one clip of the {@code layers} set: two transparent full-frame layers, a smooth red and a
 * smooth blue texture (each a sum of six gratings of period 16-32 px at 128 px), over a static grey
 * texture about twice as fine (period 6.4-16 px) with its own contrast and brightness. The class
 * says which colour layers move: {@code neither}, {@code red}, {@code blue} or {@code both}; a
 * moving layer translates at 1.5-3 px per frame (at 128 px) in its own random direction.
 *
 * <p>The set is built so that telling the classes apart needs the colour of what moves, not of what
 * is there: every appearance draw (textures, levels, the grey layer's contrast and brightness) and
 * every motion draw (each layer's direction and speed) is made for every class in the same order,
 * so frame 0 of a clip is the same picture in all four classes. The static grey texture carries
 * most of each frame's edges (spatial gradient energy) and changes from clip to clip; it adds
 * nothing to SPEC 2's motion target ({@code |x_i - y_i|}), which only the colour layers move.
 */
final class LayerVideo implements RenderedClip {

    private static final int GRATINGS = 6;
    private static final double COLOUR_AMPLITUDE = 50;

    private final int w;
    private final int h;
    private final Texture red;
    private final Texture blue;
    private final double[] still;
    private final int green;
    private final int redBase;
    private final int blueBase;
    private final double stillAmplitude;
    private final double stillOffset;
    private final double[] redVelocity;
    private final double[] blueVelocity;

    LayerVideo(MotionClass cls, int w, int h, SplittableRandom rnd) {
        if (!cls.isLayerClass()) {
            throw new IllegalArgumentException("Not a class of the layers set: " + cls);
        }
        this.w = w;
        this.h = h;
        double scale = Math.min(w, h) / 128.0;
        red = new Texture(rnd, 16 * scale, 32 * scale);
        blue = new Texture(rnd, 16 * scale, 32 * scale);
        Texture grey = new Texture(rnd, 6.4 * scale, 16 * scale);
        still = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                still[y * w + x] = grey.at(x, y);
            }
        }
        green = 60 + rnd.nextInt(100);
        redBase = 110 + rnd.nextInt(30);
        blueBase = 110 + rnd.nextInt(30);
        stillAmplitude = 20 + 30 * rnd.nextDouble();
        stillOffset = -20 + 40 * rnd.nextDouble();
        double[] r = velocity(rnd, scale);
        double[] b = velocity(rnd, scale);
        redVelocity = cls.redMoves() ? r : new double[2];
        blueVelocity = cls.blueMoves() ? b : new double[2];
    }

    private static double[] velocity(SplittableRandom rnd, double scale) {
        double phi = 2 * Math.PI * rnd.nextDouble();
        double speed = scale * (1.5 + 1.5 * rnd.nextDouble());
        return new double[] {speed * Math.cos(phi), speed * Math.sin(phi)};
    }

    /** Pixels per frame the red and blue layers move: {@code {rx, ry, bx, by}}. */
    double[] velocities() {
        return new double[] {redVelocity[0], redVelocity[1], blueVelocity[0], blueVelocity[1]};
    }

    @Override
    public byte[] frame(int t) {
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                double s = stillOffset + stillAmplitude * still[i];
                double rv = red.at(x - redVelocity[0] * t, y - redVelocity[1] * t);
                double bv = blue.at(x - blueVelocity[0] * t, y - blueVelocity[1] * t);
                out[3 * i] = (byte) clamp(blueBase + COLOUR_AMPLITUDE * bv + s);
                out[3 * i + 1] = (byte) clamp(green + s);
                out[3 * i + 2] = (byte) clamp(redBase + COLOUR_AMPLITUDE * rv + s);
            }
        }
        return out;
    }

    /** A sum of gratings in [-1, 1]: random orientations, phases and periods in a range. */
    private final class Texture {
        final double[] kx = new double[GRATINGS];
        final double[] ky = new double[GRATINGS];
        final double[] phase = new double[GRATINGS];
        final double norm;

        Texture(SplittableRandom rnd, double minPeriod, double maxPeriod) {
            // spatial frequency uniform over the annulus between the two periods' frequencies
            double lo = 1 / maxPeriod;
            double hi = 1 / minPeriod;
            for (int k = 0; k < GRATINGS; k++) {
                double f = Math.sqrt(lo * lo + (hi * hi - lo * lo) * rnd.nextDouble());
                double a = 2 * Math.PI * rnd.nextDouble();
                kx[k] = 2 * Math.PI * f * Math.cos(a);
                ky[k] = 2 * Math.PI * f * Math.sin(a);
                phase[k] = 2 * Math.PI * rnd.nextDouble();
            }
            double max = 1e-9;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    max = Math.max(max, Math.abs(sum(x, y)));
                }
            }
            norm = max;
        }

        private double sum(double x, double y) {
            double v = 0;
            for (int k = 0; k < GRATINGS; k++) {
                v += Math.sin(kx[k] * x + ky[k] * y + phase[k]);
            }
            return v;
        }

        /** The texture at (x, y), scaled by its largest magnitude over the first frame. */
        double at(double x, double y) {
            return sum(x, y) / norm;
        }
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
