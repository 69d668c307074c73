package io.bimm.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Kubernetes manifests of {@code deploy/k8s}, read as text. */
final class Manifests {

    static final Path K8S = Paths.get("").toAbsolutePath().getParent().resolve("deploy/k8s");

    private static final Pattern FILTER =
            Pattern.compile(
                    "metrics\\.reporter\\.prom\\.filter\\.includes:\\s*\"([^\"]*)\"",
                    Pattern.MULTILINE);

    private Manifests() {}

    /** The Prometheus filter of flink-cluster.yaml, which deploy/local-cluster.sh also uses. */
    static String prometheusFilter() {
        List<String> f = prometheusFilters(K8S.resolve("flink-cluster.yaml"));
        if (f.size() != 1) {
            throw new IllegalStateException("Expected one filter in flink-cluster.yaml, not " + f);
        }
        return f.get(0);
    }

    /** Every value of metrics.reporter.prom.filter.includes in a file. */
    static List<String> prometheusFilters(Path file) {
        try {
            Matcher m = FILTER.matcher(Files.readString(file));
            List<String> out = new ArrayList<>();
            while (m.find()) {
                out.add(m.group(1));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
