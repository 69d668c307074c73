package io.bimm.flink.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.DecodedClip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated motion set: each class moves as its name says, and files decode as written. */
class MotionDatasetTest {

    private static final int W = 64;

    @TempDir Path dir;

    @Test
    void everyClassMovesAsNamed() {
        for (MotionClass c : MotionClass.DIRECTIONS) {
            for (int seed = 0; seed < 3; seed++) {
                MotionVideo v = new MotionVideo(c, W, W, 20, new SplittableRandom(seed));
                boolean[] a = objectMask(v, 0);
                boolean[] b = objectMask(v, 12);
                int areaA = count(a);
                int areaB = count(b);
                if (c.grow != 0) {
                    // 0.6 -> 1.4 times the size over the clip: area grows (or shrinks) a lot
                    assertThat(c.grow > 0 ? areaB > 1.5 * areaA : areaA > 1.5 * areaB)
                            .as(c + " seed " + seed + " areas " + areaA + " -> " + areaB)
                            .isTrue();
                    continue;
                }
                int[] shift = bestShift(a, b, W / 4);
                int bestDx = shift[0];
                int bestDy = shift[1];
                assertThat(Integer.signum(bestDx)).as(c + " dx").isEqualTo(c.dx);
                assertThat(Integer.signum(bestDy)).as(c + " dy").isEqualTo(c.dy);
                assertThat(Math.abs(bestDx) + Math.abs(bestDy)).isGreaterThanOrEqualTo(6);
                assertThat(areaB).isBetween((int) (0.8 * areaA), (int) (1.25 * areaA));
            }
        }
    }

    @Test
    void kindsOfMotionChangeWhatTheirNamesSay() {
        for (int seed = 0; seed < 3; seed++) {
            MotionVideo still =
                    new MotionVideo(MotionClass.STILL, W, W, 20, new SplittableRandom(seed));
            assertThat(still.frame(12)).isEqualTo(still.frame(0));
            // drift: the outline stays, the texture inside moves
            MotionVideo drift =
                    new MotionVideo(MotionClass.DRIFT, W, W, 20, new SplittableRandom(seed));
            assertThat(objectMask(drift, 12)).isEqualTo(objectMask(drift, 0));
            assertThat(drift.frame(12)).isNotEqualTo(drift.frame(0));
            // spin: same place and size, different outline
            MotionVideo spin =
                    new MotionVideo(MotionClass.SPIN, W, W, 20, new SplittableRandom(seed));
            boolean[] a = objectMask(spin, 0);
            boolean[] b = objectMask(spin, 12);
            assertThat(b).isNotEqualTo(a);
            assertThat(count(b)).isBetween((int) (0.85 * count(a)), (int) (1.15 * count(a)));
            // translate: same size, somewhere else (the kinds' translate and scale once stood
            // still because the frames read the direction classes' dx, dy and grow)
            MotionVideo translate =
                    new MotionVideo(MotionClass.TRANSLATE, W, W, 20, new SplittableRandom(seed));
            boolean[] t0 = objectMask(translate, 0);
            boolean[] t12 = objectMask(translate, 12);
            assertThat(overlap(t0, t12)).isLessThan((int) (0.8 * count(t0)));
            assertThat(count(t12)).isBetween((int) (0.8 * count(t0)), (int) (1.25 * count(t0)));
            // scale: the area changes a lot
            MotionVideo scale =
                    new MotionVideo(MotionClass.SCALE, W, W, 20, new SplittableRandom(seed));
            int s0 = count(objectMask(scale, 0));
            int s12 = count(objectMask(scale, 12));
            assertThat(Math.max(s0, s12)).isGreaterThan((int) (1.5 * Math.min(s0, s12)));
        }
    }

    @Test
    void speedClassesTranslateAtHalfOneTwoAndFourTimesTheBaseSpeed() {
        for (int seed = 0; seed < 3; seed++) {
            MotionVideo still =
                    new MotionVideo(MotionClass.STILL, W, W, 20, new SplittableRandom(seed));
            assertThat(still.frame(3)).isEqualTo(still.frame(0));
            // the same seed draws the same shape and base speed in every class: the distance
            // moved in 3 frames doubles from each speed class to the next
            double previous = 0;
            for (MotionClass c : MotionClass.SPEEDS.subList(1, 5)) {
                MotionVideo v = new MotionVideo(c, W, W, 20, new SplittableRandom(seed));
                boolean[] a = objectMask(v, 0);
                boolean[] b = objectMask(v, 3);
                int[] shift = bestShift(a, b, W / 2 - 1);
                double moved = Math.hypot(shift[0], shift[1]);
                assertThat(count(b)).isBetween((int) (0.8 * count(a)), (int) (1.25 * count(a)));
                if (previous > 0) {
                    assertThat(moved)
                            .as(c + " seed " + seed + " after " + previous)
                            .isBetween(2 * previous - 2.5, 2 * previous + 2.5);
                } else {
                    assertThat(moved).as(c + " seed " + seed).isGreaterThanOrEqualTo(1);
                }
                previous = moved;
            }
        }
        // the direction is drawn: over a few seeds a speed class moves along different axes
        java.util.Set<String> signs = new java.util.HashSet<>();
        for (int seed = 0; seed < 8; seed++) {
            MotionVideo v = new MotionVideo(MotionClass.FAST, W, W, 20, new SplittableRandom(seed));
            int[] shift = bestShift(objectMask(v, 0), objectMask(v, 3), W / 4);
            signs.add(Integer.signum(shift[0]) + "," + Integer.signum(shift[1]));
        }
        assertThat(signs).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void oneShapeIsTheOneShapeClipAndMoreShapesAllMove() {
        for (MotionClass c : MotionClass.KINDS) {
            MotionVideo one = new MotionVideo(c, W, W, 20, new SplittableRandom(5));
            MotionVideo same = new MotionVideo(c, W, W, 20, 1, new SplittableRandom(5));
            assertThat(same.frame(7)).isEqualTo(one.frame(7));
            // six shapes cover much more of the frame than one, and each of them moves
            MotionVideo crowd = new MotionVideo(c, W, W, 20, 6, new SplittableRandom(5));
            int changed = changedPixels(crowd.frame(0), crowd.frame(12));
            if (c == MotionClass.STILL) {
                assertThat(changed).as(c.toString()).isZero();
            } else {
                assertThat(changed)
                        .as(c.toString())
                        .isGreaterThan(2 * changedPixels(one.frame(0), one.frame(12)));
            }
            assertThat(count(objectMask(crowd, 0))).isGreaterThan(2 * W * W / 5);
        }
    }

    @Test
    void layerClassesMoveTheirColourLayersOnlyOverTheSameFirstFrame() {
        for (int seed = 0; seed < 3; seed++) {
            byte[] first = null;
            for (MotionClass c : MotionClass.LAYERS) {
                LayerVideo v = new LayerVideo(c, W, W, new SplittableRandom(seed));
                byte[] a = v.frame(0);
                byte[] b = v.frame(6);
                // BGR bytes: channel 0 blue, 1 green (static grey texture only), 2 red
                double blue = changedFraction(a, b, 0);
                double red = changedFraction(a, b, 2);
                assertThat(changedFraction(a, b, 1)).as(c + " green").isZero();
                if (c.redMoves()) {
                    assertThat(red).as(c + " red, seed " + seed).isGreaterThan(0.6);
                } else {
                    assertThat(red).as(c + " red, seed " + seed).isZero();
                }
                if (c.blueMoves()) {
                    assertThat(blue).as(c + " blue, seed " + seed).isGreaterThan(0.6);
                } else {
                    assertThat(blue).as(c + " blue, seed " + seed).isZero();
                }
                double[] vel = v.velocities();
                for (int layer = 0; layer < 2; layer++) {
                    double speed = Math.hypot(vel[2 * layer], vel[2 * layer + 1]);
                    boolean moves = layer == 0 ? c.redMoves() : c.blueMoves();
                    // 1.5-3 px per frame at 128 px
                    assertThat(speed).isBetween(moves ? 0.75 : 0, moves ? 1.5 : 0);
                }
                // appearance is drawn alike in every class: the first frame is the same picture
                if (first == null) {
                    first = a;
                } else {
                    assertThat(a).as(c + " frame 0, seed " + seed).isEqualTo(first);
                }
            }
        }
        // the static grey texture (in all three channels; alone in green) carries most of the
        // frame's edges: more spatial gradient energy than the two colour layers, by a wide margin
        // over a few clips (3.4 times in the median clip at 128 px)
        double grey = 0;
        double colour = 0;
        for (int seed = 0; seed < 20; seed++) {
            byte[] f = new LayerVideo(MotionClass.BOTH, W, W, new SplittableRandom(seed)).frame(0);
            grey += 3 * gradientEnergy(f, 1, -1);
            colour += gradientEnergy(f, 2, 1) + gradientEnergy(f, 0, 1);
        }
        assertThat(grey).isGreaterThan(2 * colour);
        assertThat(MotionClass.set("layers")).isEqualTo(MotionClass.LAYERS);
        assertThatThrownBy(() -> MotionDataset.Settings.defaults(MotionClass.LAYERS).withShapes(2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--shapes");
    }

    @Test
    void layerFilesDecode() throws Exception {
        int n =
                MotionDataset.generate(
                        dir, new MotionDataset.Settings(1, 1, W, W, 16, 3, MotionClass.LAYERS));
        assertThat(n).isEqualTo(8);
        DecodedClip clip = decode(dir.resolve("val/both/both-0000.mp4"));
        assertThat(clip.frameCount()).isEqualTo(16);
        assertThat(clip.x()).hasNumberOfRows(4);
    }

    /**
     * Sum of squared horizontal and vertical differences of channel {@code ch} (0-2, BGR) of a
     * frame, minus channel {@code minus} at each pixel first ({@code -1}: nothing subtracted).
     */
    private static double gradientEnergy(byte[] f, int ch, int minus) {
        double e = 0;
        for (int y = 0; y < W - 1; y++) {
            for (int x = 0; x < W - 1; x++) {
                int i = (y * W + x) * 3;
                double v = value(f, i, ch, minus);
                double dx = value(f, i + 3, ch, minus) - v;
                double dy = value(f, i + 3 * W, ch, minus) - v;
                e += dx * dx + dy * dy;
            }
        }
        return e;
    }

    private static double value(byte[] f, int pixel, int ch, int minus) {
        return (f[pixel + ch] & 0xff) - (minus < 0 ? 0 : f[pixel + minus] & 0xff);
    }

    /** The fraction of pixels whose channel {@code ch} (0-2, BGR) differs between a and b. */
    private static double changedFraction(byte[] a, byte[] b, int ch) {
        int n = 0;
        for (int i = ch; i < a.length; i += 3) {
            n += a[i] != b[i] ? 1 : 0;
        }
        return n / (a.length / 3.0);
    }

    private static int changedPixels(byte[] a, byte[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i += 3) {
            n += a[i] != b[i] || a[i + 1] != b[i + 1] || a[i + 2] != b[i + 2] ? 1 : 0;
        }
        return n;
    }

    private static int overlap(boolean[] a, boolean[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += a[i] && b[i] ? 1 : 0;
        }
        return n;
    }

    @Test
    void filesDecodeThroughTheClipDecoderInTheFolderLayout() throws Exception {
        int n = MotionDataset.generate(dir, new MotionDataset.Settings(2, 1, W, W, 16, 3));
        assertThat(n).isEqualTo(18);
        for (MotionClass c : MotionClass.DIRECTIONS) {
            assertThat(dir.resolve("train").resolve(c.folder()).resolve(c.folder() + "-0001.mp4"))
                    .exists();
            assertThat(dir.resolve("val").resolve(c.folder()).resolve(c.folder() + "-0000.mp4"))
                    .exists();
        }
        DecodedClip clip = decode(dir.resolve("train/left/left-0000.mp4"));
        assertThat(clip.frameCount()).isEqualTo(16);
        assertThat(clip.x()).hasNumberOfRows(4);
        // the same settings give the same files
        Path again = dir.resolve("again");
        MotionDataset.generate(again, new MotionDataset.Settings(2, 1, W, W, 16, 3));
        assertThat(Files.readAllBytes(again.resolve("val/up/up-0000.mp4")))
                .isEqualTo(Files.readAllBytes(dir.resolve("val/up/up-0000.mp4")));
    }

    /** Decodes a written clip as ingested clips are: 4 frames, stride 4, 32 px, deterministic. */
    private static DecodedClip decode(Path file) throws Exception {
        DecodeOptions det =
                DecodeOptions.builder()
                        .optSize(32)
                        .optFrames(4)
                        .optStride(4)
                        .optDeterministic(true)
                        .build();
        try (ClipDecoder decoder = new ClipDecoder(det)) {
            return decoder.decode(Files.readAllBytes(file), "x", 0, 0);
        }
    }

    /** The circular shift (dx, dy), each within +-range, that best maps mask a onto mask b. */
    private static int[] bestShift(boolean[] a, boolean[] b, int range) {
        int[] best = {0, 0};
        int bestOverlap = -1;
        for (int dy = -range; dy <= range; dy++) {
            for (int dx = -range; dx <= range; dx++) {
                int overlap = 0;
                for (int y = 0; y < W; y++) {
                    for (int x = 0; x < W; x++) {
                        if (a[y * W + x]
                                && b[Math.floorMod(y + dy, W) * W + Math.floorMod(x + dx, W)]) {
                            overlap++;
                        }
                    }
                }
                if (overlap > bestOverlap) {
                    bestOverlap = overlap;
                    best = new int[] {dx, dy};
                }
            }
        }
        return best;
    }

    /** Pixels the object covers: where frame t differs from the static background. */
    private static boolean[] objectMask(MotionVideo v, int t) {
        byte[] f = v.frame(t);
        byte[] bg = v.backgroundBgr();
        boolean[] m = new boolean[W * W];
        for (int i = 0; i < m.length; i++) {
            m[i] =
                    f[3 * i] != bg[3 * i]
                            || f[3 * i + 1] != bg[3 * i + 1]
                            || f[3 * i + 2] != bg[3 * i + 2];
        }
        return m;
    }

    private static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) {
            n += b ? 1 : 0;
        }
        return n;
    }
}
