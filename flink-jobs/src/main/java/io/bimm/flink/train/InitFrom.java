package io.bimm.flink.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.model.BimmConfig;
import io.bimm.model.Target;
import io.bimm.model.checkpoint.Checkpoints;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rule of {@code train.init-from}: the job's model config must be the checkpoint's, every field
 * of it (a new optimization starts from the checkpoint's parameters, and the manifest's config is
 * what the parameters were trained as). A checkpoint of another config is refused before anything
 * trains, naming each option that differs with the checkpoint's value, so the user can start the
 * job with {@code -D key=value} copied from the message.
 */
public final class InitFrom {

    /** The option that sets each field of {@link BimmConfig#toJson()}. */
    private static final Map<String, String> OPTION_OF_FIELD =
            Map.of(
                    "splits", ModelOptions.SPLITS.key(),
                    "sharing", ModelOptions.SHARING.key(),
                    "targetsOn", ModelOptions.TARGETS.key(),
                    "targetWeights", ModelOptions.LOSS_WEIGHTS.key(),
                    "lambda", ModelOptions.LAMBDA.key(),
                    "ventralMaskRatio", PrepConfigOptions.VENTRAL_MASK_RATIO.key(),
                    "dorsalMaskRatio", PrepConfigOptions.DORSAL_MASK_RATIO.key());

    private InitFrom() {}

    /**
     * Refuses checkpoint {@code dir} as the start of a job whose model config is {@code job}.
     *
     * @throws IllegalArgumentException one sentence naming the checkpoint and each differing option
     *     with the checkpoint's value and the job's
     */
    public static void check(Path dir, BimmConfig job) throws IOException {
        List<String> diffs = differences(Checkpoints.readConfig(dir), job);
        if (!diffs.isEmpty()) {
            throw new IllegalArgumentException(
                    "option '"
                            + TrainJobOptions.INIT_FROM.key()
                            + "': checkpoint "
                            + dir
                            + " was trained with another model config: "
                            + String.join("; ", diffs)
                            + "; start this job with the checkpoint's values.");
        }
    }

    /**
     * Each field in which {@code checkpoint} and {@code job} differ, as {@code key=checkpoint's
     * value (this job: value)}; fields no option sets (the preset's sizes) under {@code
     * model.preset}.
     */
    static List<String> differences(BimmConfig checkpoint, BimmConfig job) {
        JsonObject a = JsonParser.parseString(checkpoint.toJson()).getAsJsonObject();
        JsonObject b = JsonParser.parseString(job.toJson()).getAsJsonObject();
        Set<String> fields = new TreeSet<>(a.keySet());
        fields.addAll(b.keySet());
        List<String> out = new ArrayList<>();
        List<String> sizes = new ArrayList<>();
        for (String f : fields) {
            JsonElement x = a.get(f);
            JsonElement y = b.get(f);
            if (x != null && x.equals(y)) {
                continue;
            }
            String key = OPTION_OF_FIELD.get(f);
            if (key == null) {
                sizes.add(f + " " + x + " (this job: " + y + ")");
            } else {
                out.add(key + "=" + value(f, x) + " (this job: " + value(f, y) + ")");
            }
        }
        if (!sizes.isEmpty()) {
            out.add(
                    0,
                    TrainJobOptions.PRESET.key()
                            + "="
                            + checkpoint.getPreset()
                            + " with "
                            + String.join(", ", sizes));
        }
        return out;
    }

    /** A config field's value as the option that sets it is written. */
    private static String value(String field, JsonElement v) {
        if (v == null || v.isJsonNull()) {
            return "(none)";
        }
        switch (field) {
            case "splits":
            case "targetWeights":
                List<String> parts = new ArrayList<>();
                v.getAsJsonArray().forEach(e -> parts.add(number(e)));
                return String.join(",", parts);
            case "targetsOn":
                Set<Target> on = EnumSet.noneOf(Target.class);
                for (int i = 0; i < Target.values().length; i++) {
                    if (v.getAsJsonArray().get(i).getAsBoolean()) {
                        on.add(Target.values()[i]);
                    }
                }
                return ModelOptions.names(on);
            case "sharing":
                return v.getAsString().toLowerCase(Locale.ROOT);
            default:
                return number(v);
        }
    }

    /** {@code 2} for 2.0, {@code 0.75} for 0.75. */
    private static String number(JsonElement e) {
        double d = e.getAsDouble();
        return d == Math.rint(d) && Math.abs(d) < 1e9
                ? Long.toString((long) d)
                : Float.toString(e.getAsFloat());
    }
}
