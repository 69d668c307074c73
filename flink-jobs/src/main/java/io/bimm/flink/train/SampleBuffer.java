package io.bimm.flink.train;

import io.bimm.flink.sample.TrainingSample;
import java.util.ArrayList;
import java.util.List;

/**
 * The samples waiting for a training step (operator state {@code pending-samples}) and the bound
 * that backpressures the sink's input.
 *
 * <p>Before {@code train.max-steps} the buffer holds at most one batch beyond the step in flight: a
 * sample arriving while a full batch waits makes the input wait for that step. Past the limit
 * nothing is trained any more, so the input must stop rather than fill the state: the buffer takes
 * {@link #pastLimitHold} samples more and then the input waits until the job is stopped.
 *
 * <p>When the job reads clips and images together, {@link BatchMix} chooses each batch's samples
 * and the input waits, a step being in flight, once the next batch's part of the arriving sample's
 * kind is there (or two batches are held).
 *
 * <p>The trade-off: a task waiting in {@code processElement} takes no checkpoint or savepoint: an
 * aligned barrier queued behind the next sample cannot pass it, and when the sink is chained to the
 * Kafka reader the reader cannot even start one. {@code bimm train} stops the job with a savepoint
 * as soon as the last step's checkpoint appears (within about a second); that savepoint passes if
 * it starts before the hold is full, the hold then taking what is on its way. So the hold is
 * generous: one batch, one record's R samples per preprocessing instance (each may be emitting one
 * record's, {@code prep.repeated-sampling}, and a checkpoint barrier cannot pass a record half
 * emitted), and {@value #PAST_LIMIT_BYTES} bytes of samples (about 35 samples at 224 pixels, 270
 * with the tiny preset), which is also what a savepoint may carry beyond a partial batch. A job
 * past its limit that nobody stops waits there and takes no more Flink checkpoints.
 */
final class SampleBuffer {

    /** Bytes of samples held past the step limit, beyond one batch and one per prep instance. */
    static final long PAST_LIMIT_BYTES = 128L << 20;

    private final List<TrainingSample> samples = new ArrayList<>();
    private final int batch;
    private final BatchMix mix;
    private int[] selected;
    private final int prepParallelism;
    private final int repeatedSampling;
    private volatile int size;

    SampleBuffer(int batch, int prepParallelism, int repeatedSampling) {
        this(BatchMix.fifo(batch), batch, prepParallelism, repeatedSampling);
    }

    /** A buffer whose batches {@code mix} chooses (clips and images, {@code train.image-share}). */
    SampleBuffer(BatchMix mix, int batch, int prepParallelism, int repeatedSampling) {
        this.mix = mix;
        this.batch = batch;
        this.prepParallelism = Math.max(1, prepParallelism);
        this.repeatedSampling = Math.max(1, repeatedSampling);
    }

    /**
     * Samples held past the step limit: a batch, one record's R samples per preprocessing instance,
     * and {@link #PAST_LIMIT_BYTES} of samples of {@code sampleBytes} each.
     */
    static int pastLimitHold(int batch, int prepParallelism, int r, long sampleBytes) {
        long bytes = Math.max(1, sampleBytes);
        long hold = batch + (long) prepParallelism * r + (PAST_LIMIT_BYTES + bytes - 1) / bytes;
        return (int) Math.min(Integer.MAX_VALUE, hold);
    }

    /** A sample's size in memory and in state: its arrays' bytes. */
    static long bytesOf(TrainingSample s) {
        return 4L
                        * (s.ventralVisibleIdx.length
                                + s.ventralMaskedIdx.length
                                + s.ventralGabor.length
                                + s.dorsalVisibleIdx.length
                                + s.dorsalMaskedIdx.length
                                + s.dorsalGabor.length)
                + s.ventralPixels.length
                + s.ventralContour.length
                + s.ventralRgb.length
                + s.dorsalPixels.length
                + s.dorsalContour.length
                + s.dorsalMotion.length;
    }

    /**
     * Whether {@code next} must wait: past the limit ({@code limitReached}) when the hold is full,
     * before it when a full batch already waits behind the step in flight.
     */
    boolean mustWait(TrainingSample next, boolean stepInFlight, boolean limitReached) {
        if (limitReached) {
            return samples.size()
                    >= pastLimitHold(batch, prepParallelism, repeatedSampling, bytesOf(next));
        }
        return stepInFlight && mix.full(samples, next);
    }

    void add(TrainingSample s) {
        samples.add(s);
        size = samples.size();
    }

    boolean hasBatch() {
        return selection() != null;
    }

    /**
     * The next batch's samples, still held; chosen once, samples arriving later do not change it.
     */
    List<TrainingSample> peekBatch() {
        int[] sel = selection();
        List<TrainingSample> out = new ArrayList<>(sel.length);
        for (int i : sel) {
            out.add(samples.get(i));
        }
        return out;
    }

    /** Drops the next batch (its step started). */
    void dropBatch() {
        int[] sel = selection();
        for (int k = sel.length - 1; k >= 0; k--) {
            samples.remove(sel[k]);
        }
        selected = null;
        size = samples.size();
    }

    private int[] selection() {
        if (selected == null) {
            selected = mix.select(samples);
        }
        return selected;
    }

    /** Every held sample, oldest first (for operator state). */
    List<TrainingSample> all() {
        return new ArrayList<>(samples);
    }

    boolean isEmpty() {
        return samples.isEmpty();
    }

    TrainingSample first() {
        return samples.get(0);
    }

    /**
     * Records whose samples a checkpoint covers, trained ({@code trained}, NaN-skipped included) or
     * held: a clip record's R samples leave the preprocessing in one call, so no barrier falls
     * between them and the clips' sum is a multiple of R (while R is not changed within a run); an
     * image record is one sample ({@code imageSamples} of the covered ones are images).
     */
    long recordsCovered(long trained, long imageSamples) {
        return (trained + samples.size() - imageSamples) / repeatedSampling + imageSamples;
    }

    int repeatedSampling() {
        return repeatedSampling;
    }

    int batch() {
        return batch;
    }

    /** The number held; safe to read from any thread (metrics). */
    int size() {
        return size;
    }
}
