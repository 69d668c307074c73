package io.bimm.flink.cli;

import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.train.ModelOptions;
import io.bimm.flink.train.Recipe;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * One configuration {@code bimm eval} pretrains: a recipe ({@link Recipe}) and the model options
 * that change it, written {@code RECIPE[+KEY=VALUE...]}, e.g. {@code videomae} or {@code
 * bimm+model.splits=12,12,12}; a spec that starts with {@code KEY=VALUE} changes {@code bimm}.
 * Options set here win over the recipe's (as {@code -D} does for {@code bimm train --recipe}).
 */
record EvalVariant(Recipe recipe, Map<String, String> options) {

    /** The options a configuration may set: the model's ablation axes and the mask ratios. */
    static final ConfigOption<?>[] ACCEPTED = accepted();

    EvalVariant {
        options = Map.copyOf(new LinkedHashMap<>(options));
    }

    /** {@code bimm} with no options changed. */
    static EvalVariant defaults() {
        return new EvalVariant(Recipe.BIMM, Map.of());
    }

    /**
     * Parses {@code RECIPE[+KEY=VALUE...]}.
     *
     * @throws UserException naming the spec and what is wrong in it
     */
    static EvalVariant parse(String spec) {
        String[] parts = spec.trim().split("\\+");
        int first = 0;
        Recipe recipe = Recipe.BIMM;
        try {
            if (!parts[0].contains("=")) {
                recipe = Recipe.of(parts[0]);
                first = 1;
            }
            Map<String, String> options = new LinkedHashMap<>();
            for (int i = first; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("'" + parts[i] + "' is not KEY=VALUE");
                }
                options.put(parts[i].substring(0, eq).trim(), parts[i].substring(eq + 1).trim());
            }
            return of(recipe, options);
        } catch (IllegalArgumentException e) {
            throw new UserException("--compare " + spec + ": " + e.getMessage());
        }
    }

    /**
     * A variant of {@code recipe} with {@code options}, checked against {@link #ACCEPTED}.
     *
     * @throws IllegalArgumentException naming the first key that is not accepted or whose value
     *     does not parse
     */
    static EvalVariant of(Recipe recipe, Map<String, String> options) {
        Map<String, String> strict = new LinkedHashMap<>(options);
        for (String key : strict.keySet()) {
            if (java.util.Arrays.stream(ACCEPTED).noneMatch(o -> o.key().equals(key))) {
                throw new IllegalArgumentException(
                        "option '" + key + "' is not a model option eval varies (" + keys() + ")");
            }
        }
        DynamicOptions.accepting(ACCEPTED).configuration(strict);
        return new EvalVariant(recipe, strict);
    }

    /** {@code base} with this variant's options, then the recipe's where not set. */
    Configuration applyTo(Configuration base) {
        Configuration conf = new Configuration(base);
        options.forEach(conf::setString);
        recipe.applyTo(conf);
        return conf;
    }

    /** As the user wrote it, normalized: {@code videomae}, {@code bimm+model.splits=12,12,12}. */
    String label() {
        StringBuilder b = new StringBuilder(recipe.key());
        options.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> b.append('+').append(e.getKey()).append('=').append(e.getValue()));
        return b.toString();
    }

    /** The label as a folder name: letters, digits, '.', '-' and '_' only. */
    String folder() {
        return label().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "_");
    }

    private static String keys() {
        StringBuilder b = new StringBuilder();
        for (ConfigOption<?> o : ACCEPTED) {
            b.append(b.length() == 0 ? "" : ", ").append(o.key());
        }
        return b.toString();
    }

    private static ConfigOption<?>[] accepted() {
        return new ConfigOption<?>[] {
            ModelOptions.SPLITS,
            ModelOptions.SHARING,
            ModelOptions.TARGETS,
            ModelOptions.LOSS_WEIGHTS,
            ModelOptions.LAMBDA,
            PrepConfigOptions.VENTRAL_MASK_RATIO,
            PrepConfigOptions.DORSAL_MASK_RATIO
        };
    }
}
