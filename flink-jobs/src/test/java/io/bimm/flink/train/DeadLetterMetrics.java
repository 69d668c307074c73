package io.bimm.flink.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Polls a local training job's dead-letter counters over Flink's REST API (every metric whose id
 * contains {@code deadLetters}, of every vertex) until stopped, keeping each one's largest value.
 */
final class DeadLetterMetrics implements Runnable {
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, Long> values = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    DeadLetterMetrics(int port) {
        this.port = port;
    }

    void stop() {
        stopped = true;
    }

    /** Metric id (vertex-scoped, e.g. {@code 0.decode-record.deadLetters.bad_record}) to value. */
    Map<String, Long> values() {
        return new HashMap<>(values);
    }

    /** The sum of the values whose id ends with {@code suffix} (over vertices and subtasks). */
    static long sum(Map<String, Long> values, String suffix) {
        return values.entrySet().stream()
                .filter(e -> e.getKey().endsWith(suffix))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    @Override
    public void run() {
        while (!stopped) {
            try {
                poll();
            } catch (Exception e) {
                // not up yet, or already gone
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void poll() throws Exception {
        for (JsonElement j : get("/jobs").getAsJsonObject().getAsJsonArray("jobs")) {
            String job = j.getAsJsonObject().get("id").getAsString();
            for (JsonElement v : get("/jobs/" + job).getAsJsonObject().getAsJsonArray("vertices")) {
                String path =
                        "/jobs/"
                                + job
                                + "/vertices/"
                                + v.getAsJsonObject().get("id").getAsString()
                                + "/metrics";
                StringBuilder ids = new StringBuilder();
                for (JsonElement m : get(path).getAsJsonArray()) {
                    String id = m.getAsJsonObject().get("id").getAsString();
                    if (id.contains("deadLetters")) {
                        ids.append(ids.length() == 0 ? "" : ",").append(id);
                    }
                }
                if (ids.length() == 0) {
                    continue;
                }
                String query = "?get=" + URLEncoder.encode(ids.toString(), StandardCharsets.UTF_8);
                for (JsonElement m : get(path + query).getAsJsonArray()) {
                    String id = m.getAsJsonObject().get("id").getAsString();
                    long value =
                            (long)
                                    Double.parseDouble(
                                            m.getAsJsonObject().get("value").getAsString());
                    values.merge(id, value, Math::max);
                }
            }
        }
    }

    private JsonElement get(String path) throws Exception {
        String body =
                http.send(
                                HttpRequest.newBuilder(
                                                URI.create("http://localhost:" + port + path))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
        return JsonParser.parseString(body);
    }
}
