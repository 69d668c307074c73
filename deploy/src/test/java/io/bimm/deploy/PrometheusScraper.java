package io.bimm.deploy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scrapes a Prometheus endpoint ({@code /metrics}, text format) once a second on its own thread
 * until closed, and keeps every series it saw ({@code name{labels}}) with its last value: a job's
 * operator metrics exist only while the job runs, so one scrape at the end would miss them.
 */
final class PrometheusScraper implements AutoCloseable {

    private static final Pattern SERIES =
            Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*\\})? (\\S+)");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final URI uri;
    private final Map<String, String> series = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int scrapes;

    PrometheusScraper(int port) {
        this.uri = URI.create("http://127.0.0.1:" + port + "/metrics");
        this.thread = new Thread(this::loop, "prometheus-scraper-" + port);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running) {
            try {
                String body =
                        http.send(
                                        HttpRequest.newBuilder(uri)
                                                .timeout(Duration.ofSeconds(5))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body();
                for (String line : body.split("\n")) {
                    Matcher m = SERIES.matcher(line);
                    if (!line.startsWith("#") && m.find()) {
                        series.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), m.group(3));
                    }
                }
                scrapes++;
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // Not up yet, or restarting: try again.
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Every series seen so far, {@code name{labels}} to its last value. */
    Map<String, String> series() {
        return Map.copyOf(series);
    }

    /** The metric names seen so far. */
    Set<String> names() {
        Set<String> names = new TreeSet<>();
        for (String s : series.keySet()) {
            int brace = s.indexOf('{');
            names.add(brace < 0 ? s : s.substring(0, brace));
        }
        return names;
    }

    int scrapes() {
        return scrapes;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
