package io.bimm.flink.train;

import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
import io.bimm.model.Stage;
import io.bimm.model.Target;
import io.bimm.model.WeightSharing;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The model's ablation axes (paper Table 7, SPEC 4) as typed job options: stage splits, weight
 * sharing, the targets that are on, the loss weights per level and lambda. The mask ratios are
 * {@code prep.*-mask-ratio} options (the preprocessing draws the masks); {@link
 * TrainJob#modelConfig} reads both into the model config. Each parser throws an {@link
 * IllegalArgumentException} of one sentence naming its key.
 */
public final class ModelOptions {

    private ModelOptions() {}

    public static final ConfigOption<String> SPLITS =
            ConfigOptions.key("model.splits")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Stage splits s1,s2,depth: the blocks after which h1, h2 and h3 are"
                                    + " taken (SPEC 4), e.g. 12,12,12 puts every decoder on the"
                                    + " last block; the last must be the preset's depth. Default:"
                                    + " the preset's (2,4,12; 4,8,24 for large).");

    public static final ConfigOption<WeightSharing> SHARING =
            ConfigOptions.key("model.sharing")
                    .enumType(WeightSharing.class)
                    .defaultValue(WeightSharing.PARTIAL)
                    .withDescription(
                            "Encoder blocks shared by the two branches: none, partial (blocks"
                                    + " before s2) or all (SPEC 4).");

    public static final ConfigOption<String> TARGETS =
            ConfigOptions.key("model.targets")
                    .stringType()
                    .defaultValue(names(EnumSet.allOf(Target.class)))
                    .withDescription(
                            "Comma-separated targets that are predicted (each has its own"
                                    + " decoder; the others have neither decoder nor loss):"
                                    + " any of "
                                    + names(EnumSet.allOf(Target.class))
                                    + "; each branch train.stage trains needs at least one.");

    public static final ConfigOption<String> LOSS_WEIGHTS =
            ConfigOptions.key("model.loss-weights")
                    .stringType()
                    .defaultValue("1,1,1")
                    .withDescription(
                            "Loss weights w1,w2,w3 of the Gabor, contour and RGB/motion levels:"
                                    + " L_V = w1 L_gabor + w2 L_contour + w3 L_rgb, same for L_D"
                                    + " (SPEC 4).");

    public static final ConfigOption<Double> LAMBDA =
            ConfigOptions.key("model.lambda")
                    .doubleType()
                    .defaultValue(1.0)
                    .withDescription("Weight of the dorsal loss in L = L_V + lambda L_D (SPEC 4).");

    /** A target as users spell it: {@code ventral-gabor}, ..., {@code dorsal-motion}. */
    public static String name(Target t) {
        return t.key().replace('_', '-');
    }

    /** Targets as users spell them, comma-separated, in the order of {@link Target}. */
    public static String names(Set<Target> targets) {
        return Arrays.stream(Target.values())
                .filter(targets::contains)
                .map(ModelOptions::name)
                .collect(Collectors.joining(","));
    }

    /**
     * The {@link #SPLITS} of {@code conf}, or null when unset (the preset's then apply).
     *
     * @param preset the preset's own config, for its depth
     * @throws IllegalArgumentException unless three integers {@code 0 < s1 <= s2 <= depth}
     */
    public static int[] splits(ReadableConfig conf, BimmConfig preset) {
        int presetDepth = preset.getDepth();
        String value = conf.getOptional(SPLITS).orElse("").trim();
        if (value.isEmpty()) {
            return null;
        }
        String expected =
                "expected s1,s2,"
                        + presetDepth
                        + " with 0 < s1 <= s2 <= "
                        + presetDepth
                        + " (the depth of preset "
                        + preset.getPreset()
                        + ")";
        String[] parts = value.split(",", -1);
        if (parts.length != 3) {
            throw bad(SPLITS, value, expected);
        }
        int[] s = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                s[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw bad(SPLITS, value, expected);
            }
        }
        if (!(0 < s[0] && s[0] <= s[1] && s[1] <= s[2] && s[2] == presetDepth)) {
            throw bad(SPLITS, value, expected);
        }
        return s;
    }

    /**
     * The {@link #TARGETS} of {@code conf}, checked against {@code stage}.
     *
     * @throws IllegalArgumentException naming an unknown or repeated target, or a branch the stage
     *     trains that has no target
     */
    public static Set<Target> targets(ReadableConfig conf, Stage stage) {
        String value = conf.get(TARGETS);
        Set<Target> out = EnumSet.noneOf(Target.class);
        for (String part : value.split(",", -1)) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            Target t =
                    Arrays.stream(Target.values())
                            .filter(x -> name(x).equals(name))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            bad(
                                                    TARGETS,
                                                    value,
                                                    "'"
                                                            + part.trim()
                                                            + "' is no target; expected a"
                                                            + " comma-separated list of "
                                                            + names(EnumSet.allOf(Target.class))));
            if (!out.add(t)) {
                throw bad(TARGETS, value, "'" + name + "' is listed twice");
            }
        }
        for (Branch b : Branch.values()) {
            if (stage.uses(b) && out.stream().noneMatch(t -> t.branch() == b)) {
                throw new IllegalArgumentException(
                        "option '"
                                + TARGETS.key()
                                + "' ("
                                + value
                                + ") has no "
                                + b.key()
                                + " target, but train.stage "
                                + stage.name().toLowerCase(Locale.ROOT)
                                + " trains the "
                                + b.key()
                                + " branch: add one of "
                                + names(
                                        Arrays.stream(Target.values())
                                                .filter(t -> t.branch() == b)
                                                .collect(
                                                        Collectors.toCollection(
                                                                () ->
                                                                        EnumSet.noneOf(
                                                                                Target.class))))
                                + ", or choose another train.stage.");
            }
        }
        return out;
    }

    /**
     * The {@link #LOSS_WEIGHTS} of {@code conf}: three finite numbers {@code >= 0}.
     *
     * @throws IllegalArgumentException naming the key and the value
     */
    public static float[] lossWeights(ReadableConfig conf) {
        String value = conf.get(LOSS_WEIGHTS);
        String expected = "expected three numbers w1,w2,w3, each >= 0, such as 1,1,1";
        String[] parts = value.split(",", -1);
        if (parts.length != 3) {
            throw bad(LOSS_WEIGHTS, value, expected);
        }
        float[] w = new float[3];
        for (int i = 0; i < 3; i++) {
            try {
                w[i] = Float.parseFloat(parts[i].trim());
            } catch (NumberFormatException e) {
                throw bad(LOSS_WEIGHTS, value, expected);
            }
            if (!Float.isFinite(w[i]) || w[i] < 0) {
                throw bad(LOSS_WEIGHTS, value, expected);
            }
        }
        return w;
    }

    /**
     * The {@link #LAMBDA} of {@code conf}: a finite number {@code >= 0}.
     *
     * @throws IllegalArgumentException naming the key and the value
     */
    public static float lambda(ReadableConfig conf) {
        double v = conf.get(LAMBDA);
        if (!Double.isFinite(v) || v < 0) {
            throw bad(LAMBDA, Double.toString(v), "expected a number >= 0");
        }
        return (float) v;
    }

    private static IllegalArgumentException bad(
            ConfigOption<?> option, String value, String expected) {
        return new IllegalArgumentException(
                "bad value '" + value + "' for option '" + option.key() + "': " + expected + ".");
    }
}
