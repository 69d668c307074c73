package io.bimm.flink.train;

import io.bimm.flink.sample.TrainingSample;
import io.bimm.model.Branch;
import io.bimm.model.Target;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Pictures of what the model reconstructs for a fixed validation sample, one PNG per branch (the
 * paper's Figures 5-6): the input, the masked input, and per target the target beside the
 * prediction.
 *
 * <p>Columns, ventral: input, masked input, RGB target, RGB prediction, contour target, contour
 * prediction, Gabor target, Gabor prediction. Dorsal, a row per time slot (first frame of each
 * tubelet): masked input, motion, contour and Gabor, each target then prediction. Visible tokens
 * show the input; masked tokens the target or the prediction. Normalized targets (SPEC 2) are shown
 * with the prediction mapped back through the target token's own mean and deviation, as MAE does.
 * Gabor cells show orientation energy as colour: red theta 0, green pi/2, blue the diagonals. The
 * dorsal input is known only where visible (the sample carries targets, not pixels, for masked
 * tubelets), so its masked tokens are grey.
 */
final class ReconstructionPictures {
    static final String VENTRAL = fileName(Branch.VENTRAL);
    static final String DORSAL = fileName(Branch.DORSAL);

    private static final int P = 16;
    static final int GAP = 4;
    static final int HEADER = 14;
    private static final int GREY = 0x808080;

    private final int size;
    private final int frames;

    ReconstructionPictures(int size, int frames) {
        this.size = size;
        this.frames = frames;
    }

    /** Writes the pictures of the branches present in {@code predictions} into {@code dir}. */
    List<Path> write(TrainingSample s, Map<Target, float[]> predictions, Path dir)
            throws IOException {
        List<Path> out = new ArrayList<>();
        for (Branch b : Branch.values()) {
            if (predictions.keySet().stream().anyMatch(t -> t.branch() == b)) {
                BufferedImage picture =
                        b == Branch.VENTRAL ? ventral(s, predictions) : dorsal(s, predictions);
                out.add(save(picture, dir.resolve(fileName(b))));
            }
        }
        return out;
    }

    /** The picture of a branch, e.g. {@code reconstruction-ventral.png}. */
    static String fileName(Branch branch) {
        return "reconstruction-" + branch.key() + ".png";
    }

    BufferedImage ventral(TrainingSample s, Map<Target, float[]> pred) {
        int g = size / P;
        int[] vis = s.ventralVisibleIdx;
        int[] masked = s.ventralMaskedIdx;
        List<String> titles = new ArrayList<>(List.of("input", "masked"));
        List<int[]> cols = new ArrayList<>();
        int[] input = grey();
        int[] maskedInput = grey();
        for (int k = 0; k < vis.length; k++) {
            paintRgb(input, vis[k] / g, vis[k] % g, s.ventralPixels, k * P * P * 3);
            paintRgb(maskedInput, vis[k] / g, vis[k] % g, s.ventralPixels, k * P * P * 3);
        }
        for (int k = 0; k < masked.length; k++) {
            paintRgb(input, masked[k] / g, masked[k] % g, s.ventralRgb, k * P * P * 3);
        }
        cols.add(input);
        cols.add(maskedInput);
        Target[] order = {Target.VENTRAL_RGB, Target.VENTRAL_CONTOUR, Target.VENTRAL_GABOR};
        for (Target t : order) {
            float[] p = pred.get(t);
            if (p == null) {
                continue;
            }
            int[] target = maskedInput.clone();
            int[] recon = maskedInput.clone();
            for (int k = 0; k < masked.length; k++) {
                int h = masked[k] / g;
                int w = masked[k] % g;
                paintTarget(t, target, recon, h, w, s, k, k, p);
            }
            titles.add(label(t) + " target");
            titles.add(label(t) + " pred");
            cols.add(target);
            cols.add(recon);
        }
        return grid(titles, List.of(cols));
    }

    BufferedImage dorsal(TrainingSample s, Map<Target, float[]> pred) {
        int g = size / P;
        int gg = g * g;
        int slots = frames / 2;
        List<String> titles = new ArrayList<>(List.of("masked"));
        Target[] order = {Target.DORSAL_MOTION, Target.DORSAL_CONTOUR, Target.DORSAL_GABOR};
        for (Target t : order) {
            if (pred.containsKey(t)) {
                titles.add(label(t) + " target");
                titles.add(label(t) + " pred");
            }
        }
        List<List<int[]>> rows = new ArrayList<>();
        for (int slot = 0; slot < slots; slot++) {
            int[] maskedInput = grey();
            for (int k = 0; k < s.dorsalVisibleIdx.length; k++) {
                int n = s.dorsalVisibleIdx[k];
                if (n / gg == slot) {
                    // First frame of the tubelet: offset 0 in [2][16][16][3].
                    paintRgb(maskedInput, (n % gg) / g, n % g, s.dorsalPixels, k * 2 * P * P * 3);
                }
            }
            List<int[]> cols = new ArrayList<>();
            cols.add(maskedInput);
            for (Target t : order) {
                float[] p = pred.get(t);
                if (p == null) {
                    continue;
                }
                int[] target = maskedInput.clone();
                int[] recon = maskedInput.clone();
                for (int k = 0; k < s.dorsalMaskedIdx.length; k++) {
                    int n = s.dorsalMaskedIdx[k];
                    if (n / gg == slot) {
                        paintTarget(t, target, recon, (n % gg) / g, n % g, s, k, k, p);
                    }
                }
                cols.add(target);
                cols.add(recon);
            }
            rows.add(cols);
        }
        return grid(titles, rows);
    }

    /** Paints token {@code k}'s target and prediction (first frame for dorsal tokens). */
    private void paintTarget(
            Target t,
            int[] target,
            int[] recon,
            int h,
            int w,
            TrainingSample s,
            int k,
            int predToken,
            float[] pred) {
        int dim = t.dim();
        int predOff = predToken * dim;
        switch (t) {
            case VENTRAL_RGB, DORSAL_MOTION -> {
                byte[] src = t == Target.VENTRAL_RGB ? s.ventralRgb : s.dorsalMotion;
                int off = k * dim;
                // Motion |x - y| is mostly small: stretch it so it shows.
                float gain = t == Target.DORSAL_MOTION ? 4f : 1f;
                float[] v = denormalize(t, src, off, pred, predOff);
                for (int y = 0; y < P; y++) {
                    for (int x = 0; x < P; x++) {
                        int i = (y * P + x) * 3;
                        target[pix(h, w, y, x)] =
                                rgb(
                                        gain * (src[off + i] & 0xFF),
                                        gain * (src[off + i + 1] & 0xFF),
                                        gain * (src[off + i + 2] & 0xFF));
                        recon[pix(h, w, y, x)] = rgb(gain * v[i], gain * v[i + 1], gain * v[i + 2]);
                    }
                }
            }
            case VENTRAL_CONTOUR, DORSAL_CONTOUR -> {
                byte[] src = t == Target.VENTRAL_CONTOUR ? s.ventralContour : s.dorsalContour;
                int off = k * dim;
                float[] v = denormalize(t, src, off, pred, predOff);
                for (int y = 0; y < P; y++) {
                    for (int x = 0; x < P; x++) {
                        int i = y * P + x;
                        target[pix(h, w, y, x)] = gray(255f * (src[off + i] & 0xFF));
                        recon[pix(h, w, y, x)] = gray(255f * v[i]);
                    }
                }
            }
            case VENTRAL_GABOR, DORSAL_GABOR -> {
                float[] src = t == Target.VENTRAL_GABOR ? s.ventralGabor : s.dorsalGabor;
                int off = k * dim;
                for (int cy = 0; cy < 2; cy++) {
                    for (int cx = 0; cx < 2; cx++) {
                        int c = (cy * 2 + cx) * 8;
                        int tc = gaborColor(src, off + c);
                        int pc = gaborColor(pred, predOff + c);
                        for (int y = 0; y < 8; y++) {
                            for (int x = 0; x < 8; x++) {
                                target[pix(h, w, cy * 8 + y, cx * 8 + x)] = tc;
                                recon[pix(h, w, cy * 8 + y, cx * 8 + x)] = pc;
                            }
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException(t.key());
        }
    }

    /**
     * Maps a prediction in per-token normalized space back to the target's scale: {@code (p *
     * sqrt(var + 1e-6) + mean) * divisor} with the target token's own statistics of its values
     * divided by {@link Target#divisor()}, as the loss normalizes them (SPEC 2).
     */
    static float[] denormalize(Target t, byte[] target, int off, float[] pred, int predOff) {
        Target.TokenStats stats = t.tokenStats(target, off);
        float[] out = new float[t.dim()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((pred[predOff + i] * stats.deviation() + stats.mean()) * t.divisor());
        }
        return out;
    }

    /** Filter j = 4 * lambda index + theta index (SPEC 2); both wavelengths summed. */
    private static int gaborColor(float[] v, int off) {
        float t0 = v[off] + v[off + 4];
        float t45 = v[off + 1] + v[off + 5];
        float t90 = v[off + 2] + v[off + 6];
        float t135 = v[off + 3] + v[off + 7];
        float scale = 255f * 1.2f;
        return rgb(scale * t0, scale * t90, scale * 0.5f * (t45 + t135));
    }

    private int[] grey() {
        int[] img = new int[size * size];
        java.util.Arrays.fill(img, GREY);
        return img;
    }

    private void paintRgb(int[] img, int h, int w, byte[] src, int off) {
        for (int y = 0; y < P; y++) {
            for (int x = 0; x < P; x++) {
                int i = off + (y * P + x) * 3;
                img[pix(h, w, y, x)] = rgb(src[i] & 0xFF, src[i + 1] & 0xFF, src[i + 2] & 0xFF);
            }
        }
    }

    private int pix(int h, int w, int y, int x) {
        return (h * P + y) * size + w * P + x;
    }

    private static int rgb(float r, float g, float b) {
        return (clamp(r) << 16) | (clamp(g) << 8) | clamp(b);
    }

    private static int gray(float v) {
        int c = clamp(v);
        return (c << 16) | (c << 8) | c;
    }

    private static int clamp(float v) {
        return Math.max(0, Math.min(255, Math.round(v)));
    }

    private static String label(Target t) {
        String k = t.key();
        return k.substring(k.indexOf('_') + 1);
    }

    private BufferedImage grid(List<String> titles, List<List<int[]>> rows) {
        int cols = titles.size();
        int width = cols * size + (cols + 1) * GAP;
        int height = HEADER + rows.size() * (size + GAP) + GAP;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D gfx = img.createGraphics();
        try {
            gfx.setColor(Color.WHITE);
            gfx.fillRect(0, 0, width, height);
            labels(gfx, titles);
        } finally {
            gfx.dispose();
        }
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < rows.get(r).size(); c++) {
                int x0 = GAP + c * (size + GAP);
                int y0 = HEADER + GAP + r * (size + GAP);
                img.setRGB(x0, y0, size, size, rows.get(r).get(c), 0, size);
            }
        }
        return img;
    }

    private void labels(Graphics2D gfx, List<String> titles) {
        try {
            gfx.setColor(Color.BLACK);
            gfx.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            for (int c = 0; c < titles.size(); c++) {
                gfx.drawString(titles.get(c), GAP + c * (size + GAP), HEADER - 3);
            }
        } catch (RuntimeException | Error e) {
            // Headless JVMs without fonts cannot draw text; the pictures stay useful without it
            // (the column order is documented above and in docs/cli.md).
        }
    }

    private static Path save(BufferedImage img, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        if (!ImageIO.write(img, "png", tmp.toFile())) {
            throw new IOException("No PNG writer available.");
        }
        return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
