package io.bimm.flink.train;

import io.bimm.flink.sample.ImageSamples;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.model.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Which waiting samples make the next batch when the job reads clips and images together ({@code
 * train.image-share} strictly between 0 and 1 for {@code --stage ventral}, above 0 for {@code
 * joint}; docs/images.md). With {@code I = round(share * B)}:
 *
 * <ul>
 *   <li>{@code ventral}: {@code I} image samples and {@code B - I} clip samples, each the oldest
 *       waiting of its kind; every one feeds the ventral branch.
 *   <li>{@code joint}: {@code B} clip samples (their dorsal parts) and {@code I} image samples,
 *       whose ventral parts replace those of the first {@code I} clips ({@link SampleBatches}).
 * </ul>
 *
 * <p>When the sink holds {@code 2B} samples and the exact mix is not among them (one topic fell
 * behind or ran dry), the batch takes what the share asks of the short kind as far as it is there
 * and fills up with the other ({@code joint} still needs {@code B} clips): training never stalls on
 * one topic while the other has data, and the input's bound stays two batches. Every other
 * configuration takes the oldest {@code B} samples, as before ({@link #fifo}).
 */
final class BatchMix {

    private final int batch;
    private final int images;
    private final Stage stage;

    private BatchMix(int batch, int images, Stage stage) {
        this.batch = batch;
        this.images = images;
        this.stage = stage;
    }

    /** The oldest {@code batch} samples, whatever their kind. */
    static BatchMix fifo(int batch) {
        return new BatchMix(batch, -1, Stage.VENTRAL);
    }

    /**
     * The mix of {@code stage} at {@code share} (absent: {@link #fifo}); the stages and shares
     * where the job reads one topic only are {@link #fifo} too.
     */
    static BatchMix of(Stage stage, int batch, OptionalDouble share) {
        if (share.isEmpty()) {
            return fifo(batch);
        }
        double s = share.getAsDouble();
        boolean mixed =
                (stage == Stage.VENTRAL && s > 0 && s < 1) || (stage == Stage.JOINT && s > 0);
        if (!mixed) {
            return fifo(batch);
        }
        return new BatchMix(batch, (int) Math.round(s * batch), stage);
    }

    /** Image samples per batch at the share; -1 when the kinds are not mixed. */
    int imagesPerBatch() {
        return images;
    }

    /** Clip samples per batch at the share; -1 when the kinds are not mixed. */
    int clipsPerBatch() {
        if (images < 0) {
            return -1;
        }
        return stage == Stage.JOINT ? batch : batch - images;
    }

    /** Samples of a batch in total (both kinds). */
    int size() {
        return images < 0 ? batch : clipsPerBatch() + images;
    }

    /**
     * Whether the input must wait, a step being in flight, before adding {@code next} to {@code
     * waiting}: the next batch's part of {@code next}'s kind is already there, or the sink holds
     * two batches.
     */
    boolean full(List<TrainingSample> waiting, TrainingSample next) {
        if (images < 0) {
            return waiting.size() >= batch;
        }
        if (waiting.size() >= 2 * batch) {
            return true;
        }
        long imgs = waiting.stream().filter(ImageSamples::isImage).count();
        return ImageSamples.isImage(next)
                ? imgs >= images
                : waiting.size() - imgs >= clipsPerBatch();
    }

    /**
     * The positions in {@code waiting} (ascending) of the next batch's samples, or null when no
     * batch is ready.
     */
    int[] select(List<TrainingSample> waiting) {
        if (images < 0) {
            return waiting.size() < batch ? null : range(batch);
        }
        List<Integer> imgs = new ArrayList<>();
        List<Integer> clips = new ArrayList<>();
        for (int i = 0; i < waiting.size(); i++) {
            (ImageSamples.isImage(waiting.get(i)) ? imgs : clips).add(i);
        }
        int takeImages;
        int takeClips;
        if (imgs.size() >= images && clips.size() >= clipsPerBatch()) {
            takeImages = images;
            takeClips = clipsPerBatch();
        } else if (waiting.size() < 2 * batch) {
            return null;
        } else if (stage == Stage.JOINT) {
            if (clips.size() < batch) {
                return null;
            }
            takeClips = batch;
            takeImages = Math.min(images, imgs.size());
        } else {
            takeImages = Math.min(imgs.size(), Math.max(images, batch - clips.size()));
            takeClips = batch - takeImages;
        }
        int[] out = new int[takeImages + takeClips];
        int n = 0;
        for (int i = 0; i < takeImages; i++) {
            out[n++] = imgs.get(i);
        }
        for (int i = 0; i < takeClips; i++) {
            out[n++] = clips.get(i);
        }
        java.util.Arrays.sort(out);
        return out;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
