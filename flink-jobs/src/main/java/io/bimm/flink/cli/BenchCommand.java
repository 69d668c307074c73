package io.bimm.flink.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bimm bench}: the speed benchmarks, {@code prep} and {@code train}. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks: preprocessing per core (prep) and training steps (train).",
        subcommands = {BenchPrepCommand.class, BenchTrainCommand.class})
public final class BenchCommand implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "Missing subcommand: prep or train.");
    }
}
