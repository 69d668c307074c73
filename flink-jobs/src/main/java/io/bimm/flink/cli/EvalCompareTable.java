package io.bimm.flink.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.bimm.model.Target;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of {@code bimm eval --compare}: one row per configuration and seed (and the random
 * encoder once per seed), printed as a table with a summary per configuration (mean and range over
 * the seeds), and written as {@code eval-compare.json}.
 */
final class EvalCompareTable {

    /** The label of the randomly initialized encoder's rows. */
    static final String RANDOM = "random-init";

    /** One probed encoder: its configuration, seed, pretraining and probe. */
    record Row(
            String config,
            long seed,
            long steps,
            long seconds,
            Map<String, Double> losses,
            double top1,
            double bestTop1,
            int bestEpoch) {}

    private final List<Row> rows = new ArrayList<>();
    private final List<String> targets = new ArrayList<>();

    /** A table over the targets of {@code stageTargets}, in that order. */
    EvalCompareTable(List<Target> stageTargets) {
        for (Target t : stageTargets) {
            targets.add(t.key());
        }
    }

    void add(Row row) {
        rows.add(row);
    }

    List<Row> rows() {
        return List.copyOf(rows);
    }

    /** Prints every row, then one summary line per configuration. */
    void print(PrintStream out) {
        StringBuilder head =
                new StringBuilder(
                        String.format(Locale.ROOT, "%-34s %4s %6s", "config", "seed", "steps"));
        for (String t : targets) {
            head.append(String.format(Locale.ROOT, " %15s", t));
        }
        head.append("  probe top1 (best, epoch)");
        out.println(head);
        for (Row r : rows) {
            StringBuilder line =
                    new StringBuilder(
                            String.format(
                                    Locale.ROOT, "%-34s %4d %6d", r.config(), r.seed(), r.steps()));
            for (String t : targets) {
                Double v = r.losses().get(t);
                line.append(
                        v == null
                                ? String.format(Locale.ROOT, " %15s", "-")
                                : String.format(Locale.ROOT, " %15.4f", v));
            }
            line.append(
                    String.format(
                            Locale.ROOT,
                            "  %.4f (%.4f, %d)",
                            r.top1(),
                            r.bestTop1(),
                            r.bestEpoch()));
            out.println(line);
        }
        out.println(
                "(losses: the pretrained model's on one sample of each training clip; '-': a"
                        + " target the configuration does not predict. probe: linear-probe"
                        + " validation top-1 after the last epoch, the best epoch's and its"
                        + " number)");
        for (Map.Entry<String, List<Row>> e : byConfig().entrySet()) {
            out.println(summary(e.getKey(), e.getValue()));
        }
    }

    /** {@code compare: CONFIG probe top1 mean=M min=A max=B over N seeds (best epoch mean=..)}. */
    static String summary(String config, List<Row> rows) {
        double sum = 0;
        double bestSum = 0;
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (Row r : rows) {
            sum += r.top1();
            bestSum += r.bestTop1();
            min = Math.min(min, r.top1());
            max = Math.max(max, r.top1());
        }
        return String.format(
                Locale.ROOT,
                "compare: %s probe top1 mean=%.4f min=%.4f max=%.4f over %d seed%s (best epoch"
                        + " mean=%.4f)",
                config,
                sum / rows.size(),
                min,
                max,
                rows.size(),
                rows.size() == 1 ? "" : "s",
                bestSum / rows.size());
    }

    private Map<String, List<Row>> byConfig() {
        Map<String, List<Row>> out = new LinkedHashMap<>();
        for (Row r : rows) {
            out.computeIfAbsent(r.config(), k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    /** The table as {@code eval-compare.json}: the common settings, then every row. */
    String json(JsonObject settings) {
        JsonObject root = settings.deepCopy();
        JsonArray array = new JsonArray();
        for (Row r : rows) {
            JsonObject o = new JsonObject();
            o.addProperty("config", r.config());
            o.addProperty("seed", r.seed());
            o.addProperty("pretrain_steps", r.steps());
            o.addProperty("pretrain_seconds", r.seconds());
            JsonObject losses = new JsonObject();
            r.losses().forEach(losses::addProperty);
            o.add("losses", losses);
            o.addProperty("probe_top1", r.top1());
            o.addProperty("probe_best_top1", r.bestTop1());
            o.addProperty("probe_best_epoch", r.bestEpoch());
            array.add(o);
        }
        root.add("rows", array);
        JsonObject summary = new JsonObject();
        for (Map.Entry<String, List<Row>> e : byConfig().entrySet()) {
            JsonObject s = new JsonObject();
            List<Row> rs = e.getValue();
            s.addProperty("seeds", rs.size());
            s.addProperty(
                    "probe_top1_mean", rs.stream().mapToDouble(Row::top1).average().orElse(0));
            s.addProperty("probe_top1_min", rs.stream().mapToDouble(Row::top1).min().orElse(0));
            s.addProperty("probe_top1_max", rs.stream().mapToDouble(Row::top1).max().orElse(0));
            summary.add(e.getKey(), s);
        }
        root.add("summary", summary);
        return new GsonBuilder().setPrettyPrinting().create().toJson(root);
    }
}
