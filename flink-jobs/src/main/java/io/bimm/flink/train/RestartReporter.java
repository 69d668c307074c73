package io.bimm.flink.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports each failure of a running job as one line with its root cause, read from the job's
 * exception history on the Flink REST API ({@code /jobs/<id>/exceptions}) of the local MiniCluster
 * or the remote cluster: {@code job restarting (attempt 3/10): root cause: java.io.IOException:
 * ...}.
 */
final class RestartReporter {

    private static final Logger LOG = LoggerFactory.getLogger(RestartReporter.class);

    /** One failure of the job: when it happened and its root cause as one line. */
    record Failure(long timestamp, String rootCause) {}

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI exceptions;
    private final int maxAttempts;
    private final PrintStream out;
    private long lastSeen = Long.MIN_VALUE;
    private int attempts;
    private String lastRootCause;

    /**
     * @param restAddress {@code host:port} of the cluster's REST API
     * @param maxAttempts the restart strategy's bound, 0 when unknown
     */
    RestartReporter(String restAddress, JobID job, int maxAttempts, PrintStream out) {
        this.exceptions = URI.create("http://" + restAddress + "/jobs/" + job + "/exceptions");
        this.maxAttempts = maxAttempts;
        this.out = out;
    }

    /** The failures recorded since the last call, oldest first; none when REST is unreachable. */
    List<Failure> fetchNew() {
        List<Failure> fresh = new ArrayList<>();
        try {
            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(exceptions)
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return fresh;
            }
            for (Failure f : parse(r.body())) {
                if (f.timestamp() > lastSeen) {
                    fresh.add(f);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("Cannot read the job's exception history: {}", e.toString());
        }
        fresh.sort(Comparator.comparingLong(Failure::timestamp));
        if (!fresh.isEmpty()) {
            lastSeen = fresh.get(fresh.size() - 1).timestamp();
            lastRootCause = fresh.get(fresh.size() - 1).rootCause();
        }
        return fresh;
    }

    /** Prints one line per failure of a job that goes on (restarts). */
    void reportRestarts(List<Failure> failures) {
        for (Failure f : failures) {
            attempts++;
            out.println(
                    "job restarting (attempt "
                            + attempts
                            + (maxAttempts > 0 && attempts <= maxAttempts ? "/" + maxAttempts : "")
                            + "): root cause: "
                            + f.rootCause());
            out.flush();
        }
    }

    /** The root cause of the newest failure seen, or null. */
    String lastRootCause() {
        return lastRootCause;
    }

    /** The failures of a {@code /jobs/<id>/exceptions} answer. */
    static List<Failure> parse(String json) {
        List<Failure> failures = new ArrayList<>();
        JsonObject body = JsonParser.parseString(json).getAsJsonObject();
        JsonObject history = body.getAsJsonObject("exceptionHistory");
        if (history == null || !history.has("entries")) {
            return failures;
        }
        JsonArray entries = history.getAsJsonArray("entries");
        for (JsonElement e : entries) {
            JsonObject entry = e.getAsJsonObject();
            String trace =
                    entry.has("stacktrace")
                            ? entry.get("stacktrace").getAsString()
                            : entry.get("exceptionName").getAsString();
            failures.add(new Failure(entry.get("timestamp").getAsLong(), rootCause(trace)));
        }
        return failures;
    }

    /** The innermost cause of a printed stack trace: its last "Caused by:" line, or its first. */
    static String rootCause(String stackTrace) {
        String[] lines = stackTrace.split("\\R");
        String root = lines.length == 0 ? "" : lines[0];
        for (String line : lines) {
            String t = line.strip();
            if (t.startsWith("Caused by: ")) {
                root = t.substring("Caused by: ".length());
            }
        }
        return root.strip();
    }

    /** The number of restarts {@code conf}'s restart strategy allows in a row, 0 when unknown. */
    static int maxAttempts(Configuration conf) {
        String strategy =
                conf.getOptional(RestartStrategyOptions.RESTART_STRATEGY).orElse("").toLowerCase();
        int n =
                switch (strategy.replace("-", "").replace("_", "")) {
                    case "exponentialdelay" ->
                            conf.get(
                                    RestartStrategyOptions
                                            .RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS);
                    case "fixeddelay" ->
                            conf.get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS);
                    default -> 0;
                };
        return n == Integer.MAX_VALUE ? 0 : n;
    }
}
