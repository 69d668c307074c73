package io.bimm.flink.cli;

import java.time.Duration;
import java.util.Locale;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --progress} and {@code --progress-every}: the live progress line of a training run. */
public final class ProgressOptions {

    /** How the progress line is shown. */
    public enum Mode {
        /** {@link #TERMINAL} when stderr is a terminal, else {@link #PLAIN}. */
        AUTO,
        /** One line on stderr, redrawn in place every second. */
        TERMINAL,
        /** A plain line on stderr every {@code --progress-every}. */
        PLAIN,
        /** No progress line. */
        OFF
    }

    @Option(
            names = "--progress",
            paramLabel = "MODE",
            defaultValue = "auto",
            description =
                    "Progress line on stderr: auto (redrawn in place on a terminal, else a plain"
                            + " line every --progress-every), terminal, plain or off (default:"
                            + " ${DEFAULT-VALUE}).")
    String mode = "auto";

    @Option(
            names = "--progress-every",
            paramLabel = "DURATION",
            defaultValue = "10s",
            description =
                    "How often the plain progress line is printed, e.g. 30s or 1min (default:"
                            + " ${DEFAULT-VALUE}).")
    String every = "10s";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** The mode, {@link Mode#AUTO} resolved. */
    Mode mode() {
        Mode m;
        try {
            m = Mode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw usage("--progress must be auto, terminal, plain or off, not '" + mode + "'.");
        }
        return m == Mode.AUTO ? (Terminal.stderrIsTerminal() ? Mode.TERMINAL : Mode.PLAIN) : m;
    }

    /** The interval of plain lines. */
    Duration every() {
        Duration d;
        try {
            d = TimeUtils.parseDuration(every);
        } catch (IllegalArgumentException e) {
            throw usage("--progress-every must be a duration such as 10s, not '" + every + "'.");
        }
        if (d.isNegative() || d.isZero()) {
            throw usage("--progress-every must be positive, not '" + every + "'.");
        }
        return d;
    }

    private RuntimeException usage(String message) {
        return spec == null
                ? new IllegalArgumentException(message)
                : new ParameterException(spec.commandLine(), message);
    }
}
