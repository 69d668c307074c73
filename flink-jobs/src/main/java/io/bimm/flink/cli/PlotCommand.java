package io.bimm.flink.cli;

import io.bimm.flink.plot.LossCurves;
import io.bimm.flink.plot.LossCurvesChart;
import io.bimm.flink.train.TrainingLog;
import io.bimm.flink.train.TrainingLogEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bimm plot}: the loss curves of a run, from its training log. */
@Command(
        name = "plot",
        mixinStandardHelpOptions = true,
        description = {
            "Draw the loss curves of a training run (train, demo or eval) from the "
                    + TrainingLog.FILE
                    + " in its checkpoint directory: each target's loss against the step, raw and"
                    + " smoothed, with the learning rate and samples/s below. Works on a run that"
                    + " is still going, and on one that was interrupted and resumed."
        })
public final class PlotCommand implements Callable<Integer> {

    @Option(
            names = "--checkpoint-dir",
            paramLabel = "DIR",
            required = true,
            description = "The run's checkpoint directory (train.checkpoint-dir).")
    Path checkpointDir;

    @Option(
            names = "--out",
            paramLabel = "FILE",
            description = "The PNG to write (default: DIR/" + LossCurvesChart.FILE + ").")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path log = checkpointDir.resolve(TrainingLog.FILE);
        if (!Files.isRegularFile(log)) {
            throw new UserException(
                    "No "
                            + TrainingLog.FILE
                            + " in "
                            + checkpointDir
                            + ": not the checkpoint directory of a training run (or one from"
                            + " before the log existed).");
        }
        List<TrainingLogEntry> entries = TrainingLog.read(log);
        LossCurves curves = LossCurves.of(entries);
        if (curves.isEmpty()) {
            throw new UserException(log + " holds no trained step yet.");
        }
        Path file = out != null ? out : checkpointDir.resolve(LossCurvesChart.FILE);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UserException("No directory " + parent + " for --out.");
        }
        LossCurvesChart.write(curves, file);
        TrainingLogEntry last = entries.get(entries.size() - 1);
        System.out.println(
                "plotted "
                        + entries.size()
                        + " log lines (steps "
                        + entries.get(0).step()
                        + "-"
                        + last.step()
                        + ") to "
                        + file);
        return 0;
    }
}
