package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * picocli formats every help text with {@link String#format} (so {@code %n} is a newline): a bare
 * {@code %} in a description prints a "Could not format" warning with every {@code --help}.
 */
class HelpTextTest {

    @Test
    void everyHelpTextIsAValidFormatString() {
        List<String> bad = new ArrayList<>();
        collect(BimmCli.commandLine(), bad);
        assertThat(bad).isEmpty();
    }

    private static void collect(CommandLine cl, List<String> bad) {
        CommandSpec spec = cl.getCommandSpec();
        for (String line : spec.usageMessage().description()) {
            check(spec.qualifiedName() + " description", line, bad);
        }
        for (ArgSpec arg : spec.args()) {
            for (String line : arg.description()) {
                check(spec.qualifiedName() + " " + arg, line, bad);
            }
        }
        cl.getSubcommands().values().forEach(sub -> collect(sub, bad));
    }

    private static void check(String where, String text, List<String> bad) {
        try {
            String.format(Locale.ROOT, text);
        } catch (IllegalFormatException e) {
            bad.add(where + ": " + e.getMessage() + " in: " + text);
        }
    }
}
