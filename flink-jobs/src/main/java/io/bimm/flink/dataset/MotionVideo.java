package io.bimm.flink.dataset;

import java.util.SplittableRandom;

/**
 * Renders one clip of the motion set: one or more textured shapes (ellipses, rectangles or
 * diamonds, filled with stripes or a checkerboard) over a static, low-contrast textured background,
 * each moving by the clip's class (with its own direction, sign, speed and centre where the class
 * leaves them free). Translation wraps around the frame edges (a torus), so every position is
 * equally likely in every class; scaling goes between 0.6 and 1.4 times the base size about a fixed
 * centre. Shapes are drawn in order, later ones over earlier ones. Frames are BGR uint8, row-major.
 */
final class MotionVideo implements RenderedClip {

    private final int w;
    private final int h;
    private final int frames;
    private final byte[] background;
    private final Sprite[] sprites;

    /** One shape, as the sets {@code directions} and {@code kinds} have. */
    MotionVideo(MotionClass cls, int w, int h, int frames, SplittableRandom rnd) {
        this(cls, w, h, frames, 1, rnd);
    }

    /**
     * {@code shapes} shapes moving by {@code cls}. The random draws of the first shape come first
     * and in the order of the one-shape clips, so {@code shapes = 1} renders the same clip.
     */
    MotionVideo(MotionClass cls, int w, int h, int frames, int shapes, SplittableRandom rnd) {
        if (shapes < 1) {
            throw new IllegalArgumentException("Need at least one shape: " + shapes);
        }
        this.w = w;
        this.h = h;
        this.frames = frames;
        sprites = new Sprite[shapes];
        sprites[0] = new Sprite(rnd);
        background = background(rnd);
        // drawn after the appearance, so the appearance of the direction classes does not
        // depend on it
        sprites[0].move(cls, rnd);
        for (int k = 1; k < shapes; k++) {
            sprites[k] = new Sprite(rnd);
            sprites[k].move(cls, rnd);
        }
    }

    private static int[] color(SplittableRandom rnd) {
        return new int[] {rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)};
    }

    /** A smooth, static background: three low-contrast gratings over a random base colour. */
    private byte[] background(SplittableRandom rnd) {
        int[] base = {40 + rnd.nextInt(176), 40 + rnd.nextInt(176), 40 + rnd.nextInt(176)};
        double[][] g = new double[3][5];
        for (double[] grating : g) {
            double a = 2 * Math.PI * rnd.nextDouble();
            double f = 2 * Math.PI / (Math.min(w, h) * (0.15 + 0.5 * rnd.nextDouble()));
            grating[0] = f * Math.cos(a);
            grating[1] = f * Math.sin(a);
            grating[2] = 2 * Math.PI * rnd.nextDouble();
            grating[3] = 12 + 18 * rnd.nextDouble();
            grating[4] = rnd.nextInt(3);
        }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double[] c = {base[0], base[1], base[2]};
                for (double[] grating : g) {
                    double v = grating[3] * Math.sin(grating[0] * x + grating[1] * y + grating[2]);
                    c[(int) grating[4]] += v;
                    c[((int) grating[4] + 1) % 3] += 0.5 * v;
                }
                int i = (y * w + x) * 3;
                for (int k = 0; k < 3; k++) {
                    out[i + 2 - k] = (byte) clamp(c[k]); // RGB -> BGR
                }
            }
        }
        return out;
    }

    /** The static background as BGR bytes (a copy). */
    byte[] backgroundBgr() {
        return background.clone();
    }

    @Override
    public byte[] frame(int t) {
        byte[] out = background.clone();
        double progress = frames <= 1 ? 0 : (double) t / (frames - 1);
        for (Sprite s : sprites) {
            s.draw(out, t, progress);
        }
        return out;
    }

    /** One textured shape and its motion. */
    private final class Sprite {
        final int shape;
        final int pattern;
        final double radius;
        final double aspect;
        final double angle;
        double speed;
        final double cx;
        final double cy;
        final double texAngle;
        final double texPeriod;
        final int[] colorA;
        final int[] colorB;
        double mdx;
        double mdy;
        int mgrow;
        double spin; // radians per frame
        double drift; // texture px per frame

        Sprite(SplittableRandom rnd) {
            int m = Math.min(w, h);
            shape = rnd.nextInt(3);
            pattern = rnd.nextInt(2);
            radius = m * (0.16 + 0.10 * rnd.nextDouble());
            aspect = 0.6 + 0.8 * rnd.nextDouble();
            angle = Math.PI * rnd.nextDouble();
            speed = m * (0.012 + 0.012 * rnd.nextDouble()); // px per frame
            cx = w * rnd.nextDouble();
            cy = h * rnd.nextDouble();
            texAngle = Math.PI * rnd.nextDouble();
            texPeriod = m * (0.05 + 0.07 * rnd.nextDouble());
            colorA = color(rnd);
            colorB = color(rnd);
        }

        void move(MotionClass cls, SplittableRandom rnd) {
            double phi = 2 * Math.PI * rnd.nextDouble();
            int sign = rnd.nextBoolean() ? 1 : -1;
            boolean anyDirection = cls == MotionClass.TRANSLATE || cls.translatesAtSpeed();
            mdx = anyDirection ? Math.cos(phi) : cls.dx;
            mdy = anyDirection ? Math.sin(phi) : cls.dy;
            speed *= cls.speedFactor();
            mgrow = cls == MotionClass.SCALE ? sign : cls.grow;
            spin = cls == MotionClass.SPIN ? sign * speed / radius : 0;
            drift = cls == MotionClass.DRIFT ? sign * speed : 0;
        }

        void draw(byte[] out, int t, double progress) {
            double ox = cx + mdx * speed * t;
            double oy = cy + mdy * speed * t;
            double scale = mgrow == 0 ? 1 : mgrow > 0 ? 0.6 + 0.8 * progress : 1.4 - 0.8 * progress;
            double r = radius * scale;
            // the largest extent of any shape is 1.2 * radius * max(1, aspect)
            double cos = Math.cos(angle + spin * t);
            double sin = Math.sin(angle + spin * t);
            double tc = Math.cos(texAngle);
            double ts = Math.sin(texAngle);
            int reach = (int) Math.ceil(r * Math.max(1, aspect) * 1.5) + 1;
            for (int dyPix = -reach; dyPix <= reach; dyPix++) {
                for (int dxPix = -reach; dxPix <= reach; dxPix++) {
                    int x = Math.floorMod((int) Math.floor(ox) + dxPix, w);
                    int y = Math.floorMod((int) Math.floor(oy) + dyPix, h);
                    // offset from the centre, with the sub-pixel part of the position
                    double px = dxPix - (ox - Math.floor(ox)) + 0.5;
                    double py = dyPix - (oy - Math.floor(oy)) + 0.5;
                    double u = (px * cos + py * sin) / scale;
                    double v = (-px * sin + py * cos) / scale;
                    if (!inside(u, v)) {
                        continue;
                    }
                    // texture attached to the object (moves and scales with it)
                    double a = u * tc + v * ts + drift * t;
                    double b = -u * ts + v * tc;
                    boolean first =
                            pattern == 0
                                    ? Math.sin(2 * Math.PI * a / texPeriod) >= 0
                                    : Math.sin(2 * Math.PI * a / texPeriod)
                                                    * Math.sin(2 * Math.PI * b / texPeriod)
                                            >= 0;
                    int[] c = first ? colorA : colorB;
                    int i = (y * w + x) * 3;
                    out[i] = (byte) c[2];
                    out[i + 1] = (byte) c[1];
                    out[i + 2] = (byte) c[0];
                }
            }
        }

        private boolean inside(double u, double v) {
            double a = radius;
            double b = radius * aspect;
            switch (shape) {
                case 0:
                    return (u * u) / (a * a) + (v * v) / (b * b) <= 1;
                case 1:
                    return Math.abs(u) <= a * 0.85 && Math.abs(v) <= b * 0.85;
                default:
                    return Math.abs(u) / a + Math.abs(v) / b <= 1.2;
            }
        }
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
