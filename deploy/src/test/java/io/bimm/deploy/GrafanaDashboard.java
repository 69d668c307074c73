package io.bimm.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names the queries of a Grafana dashboard (JSON) name. */
final class GrafanaDashboard {

    private static final Pattern EXPR =
            Pattern.compile("\"expr\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** A name in a query; one followed by {@code .+} or {@code .*} (a regex) ends in {@code *}. */
    private static final Pattern NAME = Pattern.compile("flink_[A-Za-z0-9_]+(\\.[+*])?");

    private GrafanaDashboard() {}

    /** Metric names (or prefixes ending in {@code *}) of every {@code expr} in the file. */
    static Set<String> metricNames(Path dashboard) throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher e = EXPR.matcher(Files.readString(dashboard));
        while (e.find()) {
            Matcher n = NAME.matcher(e.group(1));
            while (n.find()) {
                String name = n.group();
                names.add(n.group(1) == null ? name : name.substring(0, name.length() - 2) + "*");
            }
        }
        if (names.isEmpty()) {
            throw new IllegalStateException(
                    "No queries naming a flink_ metric in " + dashboard + ".");
        }
        return names;
    }
}
