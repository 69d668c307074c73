package io.bimm.flink.sample;

import io.bimm.flink.decode.DecodeOptions;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;

/**
 * Typed Flink options of the preprocessing (SPEC sections 1-3): the one definition of every {@code
 * prep.*} key the sampling, masking and input limits read; the training job and the CLI refer to
 * these ({@code TrainJobOptions} adds only the job's own {@code prep.*} settings).
 */
public final class PrepConfigOptions {
    private PrepConfigOptions() {}

    /**
     * Default of {@link #REPEATED_SAMPLING}: 4, MAE-ST's factor, chosen by {@code bimm bench prep
     * --repeat} on the project's and generated videos (docs/performance.md): 4 draws from the 40-60
     * offsets of ingest's default 4 s segments; R = 8 is faster still but draws 8 windows from
     * those few offsets.
     */
    public static final int DEFAULT_REPEATED_SAMPLING = 4;

    public static final ConfigOption<Integer> SIZE =
            ConfigOptions.key("prep.size")
                    .intType()
                    .defaultValue(224)
                    .withDescription(
                            "Input size S in pixels, a multiple of 16 (the training job takes S"
                                    + " from model.preset).");

    public static final ConfigOption<Integer> FRAMES =
            ConfigOptions.key("prep.frames")
                    .intType()
                    .defaultValue(16)
                    .withDescription(
                            "Sampled frames T per clip, even (the training job takes T from"
                                    + " model.preset).");

    public static final ConfigOption<Integer> STRIDE =
            ConfigOptions.key("prep.stride")
                    .intType()
                    .defaultValue(4)
                    .withDescription("Temporal stride tau between sampled frames (SPEC 1).");

    public static final ConfigOption<Boolean> DETERMINISTIC =
            ConfigOptions.key("prep.deterministic")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Deterministic sampling: offset 1, scale 1, center crop, no flip,"
                                    + " ventral frame 0 (SPEC 1).");

    public static final ConfigOption<DecodeOptions.ShortClipPolicy> SHORT_CLIP_POLICY =
            ConfigOptions.key("prep.short-clip-policy")
                    .enumType(DecodeOptions.ShortClipPolicy.class)
                    .defaultValue(DecodeOptions.ShortClipPolicy.LOOP)
                    .withDescription("LOOP (frame indices modulo F) or REJECT (dead letter).");

    public static final ConfigOption<Double> VENTRAL_MASK_RATIO =
            ConfigOptions.key("prep.ventral-mask-ratio")
                    .doubleType()
                    .defaultValue(0.75)
                    .withDescription(
                            "Fraction of image tokens masked, random masking (SPEC 3; paper:"
                                    + " 0.75).");

    public static final ConfigOption<Double> DORSAL_MASK_RATIO =
            ConfigOptions.key("prep.dorsal-mask-ratio")
                    .doubleType()
                    .defaultValue(0.9)
                    .withDescription(
                            "Fraction of spatial positions tube-masked (SPEC 3; paper: 0.9).");

    public static final ConfigOption<Long> SEED =
            ConfigOptions.key("prep.seed")
                    .longType()
                    .defaultValue(0L)
                    .withDescription(
                            "Run seed: crops and masks are a function of (seed, clip id, draw), and"
                                    + " the initial weights of a run from scratch of the seed.");

    public static final ConfigOption<Integer> REPEATED_SAMPLING =
            ConfigOptions.key("prep.repeated-sampling")
                    .intType()
                    .defaultValue(DEFAULT_REPEATED_SAMPLING)
                    .withDescription(
                            "Samples R drawn from one decoded record (SPEC 1, repeated sampling):"
                                    + " each with its own offset, scale, crop, flip, ventral frame"
                                    + " and masks, sample r of a record read with draw d having"
                                    + " draw d * R + r; 1 is one sample per record. Ingest's"
                                    + " default segment length is sized for the default.");

    public static final ConfigOption<MemorySize> MAX_BYTES =
            ConfigOptions.key("prep.max-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.ofMebiBytes(64))
                    .withDescription("Largest clip accepted; larger ones are dead letters.");

    public static final ConfigOption<Integer> MAX_WIDTH =
            ConfigOptions.key("prep.max-width")
                    .intType()
                    .defaultValue(3840)
                    .withDescription(
                            "With prep.max-height, the box every decoded frame must fit in either orientation: its"
                                    + " long side at most the larger of the two, its short side at most the smaller.");

    public static final ConfigOption<Integer> MAX_HEIGHT =
            ConfigOptions.key("prep.max-height")
                    .intType()
                    .defaultValue(2160)
                    .withDescription(
                            "See prep.max-width: the other side of the box, in either orientation.");

    public static final ConfigOption<Integer> MAX_FRAMES =
            ConfigOptions.key("prep.max-frames")
                    .intType()
                    .defaultValue(100_000)
                    .withDescription("Most frames (video packets) accepted in one clip.");

    public static final ConfigOption<Boolean> SKIP_UNNEEDED_FRAMES =
            ConfigOptions.key("prep.skip-unneeded-frames")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Leave frames that are neither sampled nor referenced undecoded; the"
                                    + " samples are identical either way (false decodes every"
                                    + " frame up to the last needed one).");

    public static final ConfigOption<Duration> MAX_DECODE_TIME =
            ConfigOptions.key("prep.max-decode-time")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("Longest decode of one clip, checked between frames.");

    /** The preprocessing options from a Flink configuration; limits as {@link DecodeLimits#of}. */
    public static PrepOptions read(ReadableConfig c) {
        return read(c, c.get(SIZE), c.get(FRAMES));
    }

    /**
     * The preprocessing options from a Flink configuration, at a size S and frame count T set
     * elsewhere (the training job's model preset) instead of {@link #SIZE} and {@link #FRAMES}.
     */
    public static PrepOptions read(ReadableConfig c, int size, int frames) {
        DecodeOptions.Builder builder =
                DecodeOptions.builder()
                        .optSize(size)
                        .optFrames(frames)
                        .optStride(c.get(STRIDE))
                        .optDeterministic(c.get(DETERMINISTIC))
                        .optShortClipPolicy(c.get(SHORT_CLIP_POLICY))
                        .optSkipUnneeded(c.get(SKIP_UNNEEDED_FRAMES));
        DecodeOptions decode = DecodeLimits.of(c).applyTo(builder).build();
        return new PrepOptions(
                decode,
                c.get(VENTRAL_MASK_RATIO),
                c.get(DORSAL_MASK_RATIO),
                c.get(SEED),
                c.get(REPEATED_SAMPLING));
    }
}
