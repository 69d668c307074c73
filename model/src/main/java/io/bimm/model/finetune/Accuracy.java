package io.bimm.model.finetune;

/** Top-k accuracy counting over logits {@code (B, C)} flat. */
public final class Accuracy {

    private long seen;
    private long top1;
    private long top5;

    /**
     * Whether {@code label} is among the {@code k} largest of row {@code row} (ties count against).
     */
    public static boolean inTopK(float[] logits, int classes, int row, int label, int k) {
        float v = logits[row * classes + label];
        int larger = 0;
        for (int j = 0; j < classes; j++) {
            float o = logits[row * classes + j];
            if (j != label && (o > v || (o == v && j < label))) {
                larger++;
            }
        }
        return larger < k;
    }

    /** Counts B predictions. */
    public void add(float[] logits, int classes, int[] labels) {
        for (int i = 0; i < labels.length; i++) {
            seen++;
            top1 += inTopK(logits, classes, i, labels[i], 1) ? 1 : 0;
            top5 += inTopK(logits, classes, i, labels[i], 5) ? 1 : 0;
        }
    }

    public long seen() {
        return seen;
    }

    /** Fraction with the label ranked first. */
    public double top1() {
        return seen == 0 ? 0 : (double) top1 / seen;
    }

    /** Fraction with the label among the five highest (1 when there are at most 5 classes). */
    public double top5() {
        return seen == 0 ? 0 : (double) top5 / seen;
    }
}
