package io.bimm.flink.sample;

import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.masking.Mask;
import io.bimm.flink.masking.MaskGenerator;
import io.bimm.flink.targets.ClipTargets;
import io.bimm.flink.targets.TargetComputer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The whole per-clip path, decode through masked sample, on one thread; shared by the Flink
 * operator, {@code bimm targets} and {@code bimm bench prep}. Keeps nanoseconds per stage. Not
 * thread safe.
 */
public final class SamplePipeline implements AutoCloseable {
    /** Stage names, in order, as reported by {@link #stageNanos()}. */
    public static final String[] STAGES = {"decode", "targets", "mask"};

    private final PrepOptions options;
    private final ClipDecoder decoder;
    private final TargetComputer targets;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final long[] stageNanos = new long[3];
    private final long[] stageCpuNanos = new long[3];
    private DecodedClip lastClip;
    private ClipTargets lastTargets;
    private Mask lastVentral;
    private Mask lastDorsal;

    public SamplePipeline(PrepOptions options) {
        this.options = options;
        this.decoder = new ClipDecoder(options.decode());
        this.targets = new TargetComputer(options.decode().size());
    }

    /**
     * Turns one clip's container bytes into the sample of draw {@code draw} (one sample, whatever
     * {@link PrepOptions#repeatedSampling()} says); the exception carries the reason.
     */
    public TrainingSample process(byte[] data, String clipId, int draw) throws DecodeException {
        return process(data, clipId, new int[] {draw}).get(0);
    }

    /**
     * Turns one record read with draw {@code recordDraw} into its R samples ({@link
     * PrepOptions#repeatedSampling()}), of draws {@link PrepOptions#sampleDraw}: one decode, R
     * draws (SPEC 1, repeated sampling).
     */
    public List<TrainingSample> processRecord(byte[] data, String clipId, int recordDraw)
            throws DecodeException {
        int[] draws = new int[options.repeatedSampling()];
        for (int r = 0; r < draws.length; r++) {
            draws[r] = options.sampleDraw(recordDraw, r);
        }
        return process(data, clipId, draws);
    }

    /** The samples of {@code draws} from one decode of the clip. */
    public List<TrainingSample> process(byte[] data, String clipId, int[] draws)
            throws DecodeException {
        long t0 = System.nanoTime();
        long c0 = THREADS.getCurrentThreadCpuTime();
        List<DecodedClip> clips = decoder.decode(data, clipId, options.seed(), draws);
        long t1 = System.nanoTime();
        long c1 = THREADS.getCurrentThreadCpuTime();
        List<ClipTargets> tgs = targets.compute(clips);
        long t2 = System.nanoTime();
        long c2 = THREADS.getCurrentThreadCpuTime();
        List<TrainingSample> samples = new ArrayList<>(draws.length);
        for (int r = 0; r < draws.length; r++) {
            samples.add(mask(clipId, draws[r], clips.get(r), tgs.get(r)));
        }
        long t3 = System.nanoTime();
        long c3 = THREADS.getCurrentThreadCpuTime();
        stageCpuNanos[0] += c1 - c0;
        stageCpuNanos[1] += c2 - c1;
        stageCpuNanos[2] += c3 - c2;
        stageNanos[0] += t1 - t0;
        stageNanos[1] += t2 - t1;
        stageNanos[2] += t3 - t2;
        lastClip = clips.get(draws.length - 1);
        lastTargets = tgs.get(draws.length - 1);
        return samples;
    }

    /** SPEC 1's ventral frame and SPEC 3's masks of one sample, and the sample cut from them. */
    private TrainingSample mask(String clipId, int draw, DecodedClip clip, ClipTargets tg) {
        int t = clip.frames();
        int g = clip.size() / SampleAssembler.PATCH;
        SplittableRandom vr =
                SampleRandom.of(options.seed(), clipId, draw, SampleRandom.Purpose.VENTRAL_MASK);
        // SPEC 1: the ventral image is one of the T sampled frames, frame 0 when deterministic.
        int ventralFrame = options.decode().deterministic() ? 0 : vr.nextInt(t);
        Mask ventral = MaskGenerator.random(g * g, options.ventralMaskRatio(), vr);
        Mask dorsal =
                MaskGenerator.tube(
                        t / 2,
                        g * g,
                        options.dorsalMaskRatio(),
                        SampleRandom.of(
                                options.seed(), clipId, draw, SampleRandom.Purpose.DORSAL_MASK));
        lastVentral = ventral;
        lastDorsal = dorsal;
        return SampleAssembler.assemble(clipId, draw, clip, tg, ventralFrame, ventral, dorsal);
    }

    /** Per-frame targets copied from an identical frame of another sample (see TargetComputer). */
    public long sharedTargetFrames() {
        return targets.sharedFrames();
    }

    /** Cumulative nanoseconds per stage of {@link #STAGES}. */
    public long[] stageNanos() {
        return stageNanos.clone();
    }

    /**
     * Cumulative CPU nanoseconds of this thread per stage: what the stage costs one core,
     * independent of other load on the machine (for {@code bimm bench prep}).
     */
    public long[] stageCpuNanos() {
        return stageCpuNanos.clone();
    }

    /** Frames decoded so far (sampled or not). */
    public int framesDecoded() {
        return decoder.framesDecoded();
    }

    /** The last clip's decoded frames (for {@code bimm targets}). */
    public DecodedClip lastClip() {
        return lastClip;
    }

    public ClipTargets lastTargets() {
        return lastTargets;
    }

    public Mask lastVentralMask() {
        return lastVentral;
    }

    public Mask lastDorsalMask() {
        return lastDorsal;
    }

    @Override
    public void close() throws Exception {
        decoder.close();
        targets.close();
    }
}
