package io.bimm.flink.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bimm} command line: one subcommand per user-facing task. */
@Command(
        name = "bimm",
        mixinStandardHelpOptions = true,
        versionProvider = BimmCli.Version.class,
        description = "Continuous BIMM pretraining of video models from Kafka streams.",
        subcommands = {CommandLine.HelpCommand.class})
public final class BimmCli implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code: 0 success, 1 failure, 2 bad usage. */
    public static int run(String... args) {
        return new CommandLine(new BimmCli()).execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand.");
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = BimmCli.class.getPackage().getImplementationVersion();
            return new String[] {"bimm " + (v == null ? "dev" : v)};
        }
    }
}
