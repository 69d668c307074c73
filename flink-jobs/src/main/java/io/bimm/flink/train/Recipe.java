package io.bimm.flink.train;

import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.model.Target;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * A named pretraining recipe ({@code bimm train --recipe}): a set of option values for one of the
 * methods the paper compares. A recipe only fills in keys the configuration does not already hold,
 * so options the user sets explicitly ({@code -D model.targets=...}) override the recipe's.
 */
public enum Recipe {
    /** BIMM as SPEC 4 describes it: every default (six targets, three levels per branch). */
    BIMM(Map.of()),

    /**
     * The VideoMAE / MAE baseline: one decoder per branch, on the last block, predicting the
     * branch's final-level target only (normalized RGB patches for the ventral branch, as MAE;
     * normalized motion tubelets for the dorsal branch, where VideoMAE predicts normalized pixels),
     * with the dorsal tube mask at 0.9.
     */
    VIDEOMAE(
            settings(
                    ModelOptions.TARGETS,
                    ModelOptions.names(EnumSet.of(Target.VENTRAL_RGB, Target.DORSAL_MOTION)),
                    PrepConfigOptions.DORSAL_MASK_RATIO,
                    "0.9"));

    private final Map<String, String> settings;

    Recipe(Map<String, String> settings) {
        this.settings = settings;
    }

    /** The recipe's option values, by key (empty for {@link #BIMM}). */
    public Map<String, String> settings() {
        return settings;
    }

    /** Lower-case name as users type it: {@code bimm} or {@code videomae}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Sets each of the recipe's options that {@code conf} does not already hold; the values set
     * explicitly win.
     */
    public void applyTo(Configuration conf) {
        settings.forEach(
                (k, v) -> {
                    if (!conf.containsKey(k)) {
                        conf.setString(k, v);
                    }
                });
    }

    /**
     * Parses {@code bimm} or {@code videomae} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the unknown recipe and the known ones
     */
    public static Recipe of(String name) {
        for (Recipe r : values()) {
            if (r.name().equalsIgnoreCase(name.trim())) {
                return r;
            }
        }
        throw new IllegalArgumentException(
                "Unknown recipe '"
                        + name
                        + "', expected one of "
                        + Arrays.stream(values()).map(Recipe::key).collect(Collectors.joining(", "))
                        + ".");
    }

    private static Map<String, String> settings(
            ConfigOption<?> k1, String v1, ConfigOption<?> k2, String v2) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(k1.key(), v1);
        m.put(k2.key(), v2);
        return java.util.Collections.unmodifiableMap(m);
    }
}
