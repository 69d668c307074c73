package io.bimm.flink.cli;

import io.bimm.flink.train.TrainingLogEntry;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text of the progress line of {@code train}, {@code demo} and {@code eval}, from the latest
 * entries of the training log: step (of {@code --max-steps}), samples per second, the share of time
 * the trainer waited for data, the total and each target's loss, learning rate, time per step, the
 * ETA and the checkpoints written. Rates are over the entries of about the last {@value
 * #WINDOW_SECONDS} seconds.
 */
final class ProgressLine {

    /** Seconds of entries the rates are computed over. */
    static final int WINDOW_SECONDS = 30;

    /** ANSI: erase from the cursor to the end of the line. */
    static final String CLEAR_TO_END = "\u001b[K";

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** What the line shows; NaN where not known yet. */
    record Stats(
            long step,
            long maxSteps,
            double samplesPerSecond,
            double dataWaitShare,
            float total,
            Map<String, Float> losses,
            double lr,
            double secondsPerStep,
            int checkpoints) {}

    private ProgressLine() {}

    /** The stats of {@code window} (oldest first, not empty). */
    static Stats stats(List<TrainingLogEntry> window, long maxSteps, int checkpoints) {
        TrainingLogEntry first = window.get(0);
        TrainingLogEntry last = window.get(window.size() - 1);
        TrainingLogEntry trained = last;
        for (int i = window.size() - 1; i >= 0 && trained.skipped(); i--) {
            trained = window.get(i);
        }
        double seconds = (last.time().toEpochMilli() - first.time().toEpochMilli()) / 1000.0;
        long steps = last.step() - first.step();
        double samplesPerSecond =
                seconds > 0 ? (last.samplesSeen() - first.samplesSeen()) / seconds : Double.NaN;
        double secondsPerStep =
                steps > 0 ? seconds / steps : (last.stepMillis() + last.dataWaitMillis()) / 1000.0;
        long wait = 0;
        long busy = 0;
        for (TrainingLogEntry e : window) {
            wait += e.dataWaitMillis();
            busy += e.stepMillis();
        }
        double waitShare = wait + busy > 0 ? (double) wait / (wait + busy) : Double.NaN;
        return new Stats(
                last.step(),
                maxSteps,
                samplesPerSecond,
                waitShare,
                trained.skipped() ? Float.NaN : trained.total(),
                trained.skipped() ? Map.of() : trained.losses(),
                trained.lr(),
                secondsPerStep,
                checkpoints);
    }

    /** The line's text, without control characters. */
    static String text(Stats s) {
        StringBuilder b = new StringBuilder();
        b.append("step ").append(s.step());
        if (s.maxSteps() > 0) {
            b.append('/').append(s.maxSteps());
        }
        double rate = s.samplesPerSecond();
        b.append("  ").append(number(rate < 10 ? "%.2f" : "%.1f", rate)).append(" samples/s");
        b.append("  wait ").append(number("%.0f", 100 * s.dataWaitShare())).append('%');
        b.append("  loss ").append(number("%.4g", s.total()));
        if (!s.losses().isEmpty()) {
            b.append(" (");
            String sep = "";
            for (Map.Entry<String, Float> e : s.losses().entrySet()) {
                b.append(sep).append(shortName(e.getKey())).append(' ');
                b.append(number("%.3g", e.getValue()));
                sep = " ";
            }
            b.append(')');
        }
        b.append("  lr ").append(number("%.1e", s.lr()));
        double sps = s.secondsPerStep();
        b.append("  ").append(number(sps < 10 ? "%.2f" : "%.0f", sps)).append(" s/step");
        if (s.maxSteps() > 0 && s.step() < s.maxSteps() && Double.isFinite(sps)) {
            b.append("  ETA ").append(duration(Math.round((s.maxSteps() - s.step()) * sps)));
        }
        b.append("  ").append(checkpoints(s.checkpoints()));
        return b.toString();
    }

    /** The line before the first step of this run. */
    static String starting(long elapsedSeconds, int checkpoints) {
        return "starting: waiting for the first training step ("
                + duration(elapsedSeconds)
                + ")"
                + (checkpoints > 0 ? "  " + checkpoints(checkpoints) : "");
    }

    /** {@code text} redrawn in place: carriage return, cut to the width, clear to the end. */
    static String terminal(String text, int columns) {
        String cut = text.length() < columns ? text : text.substring(0, Math.max(0, columns - 1));
        return "\r" + cut + CLEAR_TO_END;
    }

    /** {@code text} as a line of its own, after the time of day. */
    static String plain(LocalTime time, String text) {
        return CLOCK.format(time) + " " + text + "\n";
    }

    private static String checkpoints(int n) {
        return n + (n == 1 ? " checkpoint" : " checkpoints");
    }

    /** {@code ventral_gabor} as {@code v.gabor}. */
    static String shortName(String target) {
        return target.replaceFirst("^ventral_", "v.").replaceFirst("^dorsal_", "d.");
    }

    /** {@code seconds} as {@code m:ss} or {@code h:mm:ss}. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    private static String number(String format, double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "-";
    }
}
