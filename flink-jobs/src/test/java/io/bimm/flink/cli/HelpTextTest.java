package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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

    /** The texts as written in the annotations: picocli formats them for the help. */
    private static void collect(CommandLine cl, List<String> bad) {
        CommandSpec spec = cl.getCommandSpec();
        texts(spec, bad);
        cl.getSubcommands().values().forEach(sub -> collect(sub, bad));
    }

    private static void texts(CommandSpec spec, List<String> bad) {
        Object user = spec.userObject();
        if (user == null) {
            return;
        }
        for (Class<?> c = user.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            Command command = c.getAnnotation(Command.class);
            if (command != null) {
                check(c.getSimpleName(), command.description(), bad);
            }
            for (Field f : c.getDeclaredFields()) {
                Option option = f.getAnnotation(Option.class);
                if (option != null) {
                    check(c.getSimpleName() + "." + f.getName(), option.description(), bad);
                }
                Parameters params = f.getAnnotation(Parameters.class);
                if (params != null) {
                    check(c.getSimpleName() + "." + f.getName(), params.description(), bad);
                }
            }
        }
        spec.mixins().values().forEach(m -> texts(m, bad));
    }

    private static void check(String where, String[] texts, List<String> bad) {
        for (String text : texts) {
            try {
                String.format(Locale.ROOT, text);
            } catch (IllegalFormatException e) {
                bad.add(where + ": " + e.getMessage() + " in: " + text);
            }
        }
    }
}
