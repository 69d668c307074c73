package io.bimm.flink.cli;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.sample.DecodeLimits;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The job's limits on untrusted input as {@code -D prep.max-*=VALUE} (a mixin), the same keys,
 * defaults and value syntax as {@code bimm train -D}: ingest, targets, embed and finetune reject
 * what the job would.
 */
public final class LimitOptions {

    @Option(
            names = "-D",
            paramLabel = "prep.max-KEY=VALUE",
            description =
                    "A limit on untrusted input, as the training job takes it (repeatable):"
                            + " prep.max-bytes (default 64 mb), prep.max-width (3840),"
                            + " prep.max-height (2160), prep.max-frames (100000),"
                            + " prep.max-decode-time (30 s).")
    Map<String, String> values = new LinkedHashMap<>();

    /**
     * The limits given, defaults for the rest.
     *
     * @throws CommandLine.ParameterException for a key that is not a limit, or a value that does
     *     not parse or is not positive
     */
    DecodeLimits limits(CommandLine.Model.CommandSpec spec) {
        String known =
                DecodeLimits.OPTIONS.stream()
                        .map(ConfigOption::key)
                        .collect(Collectors.joining(", "));
        for (String key : values.keySet()) {
            if (DecodeLimits.OPTIONS.stream().noneMatch(o -> o.key().equals(key))) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "-D " + key + " is not a limit; this command takes " + known + ".");
            }
        }
        DecodeLimits limits;
        try {
            limits = DecodeLimits.of(Configuration.fromMap(values));
            limits.applyTo(DecodeOptions.builder()).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "Bad limit in -D " + values + ": " + e.getMessage());
        }
        return limits;
    }
}
