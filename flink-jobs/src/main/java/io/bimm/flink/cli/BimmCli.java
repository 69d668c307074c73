package io.bimm.flink.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bimm} command line: one subcommand per user-facing task.
 *
 * <p>Exit codes: 0 success, 1 runtime failure, 2 bad usage. Errors are one sentence on stderr;
 * {@code --verbose} adds the stack trace.
 */
@Command(
        name = "bimm",
        mixinStandardHelpOptions = true,
        versionProvider = BimmCli.Version.class,
        description = "Continuous BIMM pretraining of video models from Kafka streams.",
        subcommands = {
            CommandLine.HelpCommand.class,
            KafkaCommand.class,
            IngestCommand.class,
            FeedCommand.class,
            DemoCommand.class,
            TrainCommand.class,
            TargetsCommand.class,
            BenchCommand.class,
            ExportCommand.class,
            EmbedCommand.class,
            FinetuneCommand.class,
            GenDatasetCommand.class,
            EvalCommand.class,
            PlotCommand.class,
        })
public final class BimmCli implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(
            names = "--verbose",
            scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code: 0 success, 1 failure, 2 bad usage. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line, for tests that capture its output. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BimmCli());
        cl.setExecutionExceptionHandler(BimmCli::handleError);
        cl.setParameterExceptionHandler(BimmCli::handleUsageError);
        TrainCommand.addFooter(cl);
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "Missing subcommand: run 'bimm --help' to see them.");
    }

    private static int handleError(
            Exception e, CommandLine cl, CommandLine.ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        boolean verbose =
                parseResult.hasMatchedOption("--verbose")
                        || parseResult.subcommands().stream()
                                .anyMatch(p -> p.hasMatchedOption("--verbose"));
        err.println("bimm: " + sentence(e));
        if (verbose) {
            e.printStackTrace(err);
        } else if (!(e instanceof UserException)) {
            err.println("(run with --verbose for the stack trace)");
        }
        err.flush();
        return 1;
    }

    private static int handleUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("bimm: " + e.getMessage());
        err.println("Run '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return 2;
    }

    /** One sentence describing {@code e}: its own message, or its type and cause. */
    static String sentence(Throwable e) {
        if (e instanceof UserException) {
            return e.getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        if (root != e && root.getMessage() != null && !msg.contains(root.getMessage())) {
            msg = msg + " (" + root.getMessage() + ")";
        }
        return msg;
    }

    /**
     * The project version, from {@code version.properties} (filtered by Maven at build time, so
     * also right when run from classes, as in tests), else the jar manifest.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = BimmCli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            String v = p.getProperty("version");
            if (v == null || v.startsWith("$")) {
                v = BimmCli.class.getPackage().getImplementationVersion();
            }
            return new String[] {"bimm " + (v == null ? "dev" : v)};
        }
    }
}
