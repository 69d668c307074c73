package io.bimm.flink.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of {@value TrainingLog#FILE}: a training step as the sink saw it. Non-finite values (a
 * step the NaN/Inf guard skipped) are written as JSON {@code null} and read back as NaN.
 *
 * @param step updates applied after this step (a skipped step repeats the previous number)
 * @param time when the step ended
 * @param samplesSeen samples trained so far (skipped steps excluded)
 * @param losses each target's loss, by {@code Target#key()}
 * @param total the weighted total loss
 * @param lr the step's learning rate
 * @param gradNorm the global gradient norm before clipping
 * @param stepMillis the step's forward, backward and update time
 * @param dataWaitMillis how long the trainer waited for this step's batch
 * @param deviceMemoryMb device memory in use in MiB (-1 when unknown)
 * @param skipped whether the NaN/Inf guard skipped the update
 * @param skippedSteps steps skipped so far, this one included
 */
public record TrainingLogEntry(
        long step,
        Instant time,
        long samplesSeen,
        Map<String, Float> losses,
        float total,
        double lr,
        float gradNorm,
        long stepMillis,
        long dataWaitMillis,
        long deviceMemoryMb,
        boolean skipped,
        long skippedSteps) {

    public TrainingLogEntry {
        losses = Collections.unmodifiableMap(new LinkedHashMap<>(losses));
    }

    /** Whether this line comes after the model state of {@code step} with {@code skipped} skips. */
    boolean after(long step, long skipped) {
        return this.step > step || (this.step == step && this.skippedSteps > skipped);
    }

    /** The line's JSON object (keys in the documented order). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("step", step);
        o.addProperty("time", time.toString());
        o.addProperty("samples_seen", samplesSeen);
        o.add("total", number(total));
        JsonObject l = new JsonObject();
        losses.forEach((k, v) -> l.add(k, number(v)));
        o.add("losses", l);
        o.add("lr", number(lr));
        o.add("grad_norm", number(gradNorm));
        o.addProperty("step_ms", stepMillis);
        o.addProperty("data_wait_ms", dataWaitMillis);
        o.addProperty("device_memory_mb", deviceMemoryMb);
        o.addProperty("skipped", skipped);
        o.addProperty("skipped_steps", skippedSteps);
        return o;
    }

    /**
     * The entry of one line.
     *
     * @throws IllegalArgumentException when the line is not a complete entry
     */
    public static TrainingLogEntry parse(String line) {
        try {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            Map<String, Float> losses = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("losses").entrySet()) {
                losses.put(e.getKey(), (float) real(e.getValue()));
            }
            return new TrainingLogEntry(
                    o.get("step").getAsLong(),
                    Instant.parse(o.get("time").getAsString()),
                    o.get("samples_seen").getAsLong(),
                    losses,
                    (float) real(o.get("total")),
                    real(o.get("lr")),
                    (float) real(o.get("grad_norm")),
                    o.get("step_ms").getAsLong(),
                    o.get("data_wait_ms").getAsLong(),
                    o.get("device_memory_mb").getAsLong(),
                    o.get("skipped").getAsBoolean(),
                    o.get("skipped_steps").getAsLong());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Not a training-log line: " + e.getMessage(), e);
        }
    }

    private static JsonElement number(float v) {
        // As a float, so that 0.8123f is written 0.8123, not 0.8123000144958496.
        return Float.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    private static JsonElement number(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    private static double real(JsonElement e) {
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }
}
