package io.bimm.flink.train;

import io.bimm.flink.plot.LossCurves;
import io.bimm.flink.plot.LossCurvesChart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@value LossCurvesChart#FILE} into each user-facing checkpoint, from the training log, on
 * a thread of its own: the training thread only hands the directory over. Failures (the checkpoint
 * pruned meanwhile, a full disk) are logged and never stop training.
 */
final class LossCurvesWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LossCurvesWriter.class);

    private final Path logFile;
    private final ExecutorService thread =
            Executors.newSingleThreadExecutor(
                    r -> {
                        Thread t = new Thread(r, "bimm-loss-curves");
                        t.setDaemon(true);
                        return t;
                    });

    LossCurvesWriter(Path checkpointRoot) {
        this.logFile = checkpointRoot.resolve(TrainingLog.FILE);
    }

    /** Draws the curves of the log as it is now into {@code checkpoint}, in the background. */
    void write(Path checkpoint) {
        thread.execute(
                () -> {
                    try {
                        if (!Files.isDirectory(checkpoint)) {
                            return; // pruned before its turn
                        }
                        long t0 = System.nanoTime();
                        LossCurves curves = LossCurves.of(TrainingLog.read(logFile));
                        if (curves.isEmpty()) {
                            return;
                        }
                        Path file = checkpoint.resolve(LossCurvesChart.FILE);
                        LossCurvesChart.write(curves, file);
                        LOG.info("{} in {} ms", file, (System.nanoTime() - t0) / 1_000_000);
                    } catch (Exception | LinkageError e) {
                        LOG.warn("Loss curves for {} failed: {}", checkpoint, e.toString());
                    }
                });
    }

    /** Lets a picture being drawn finish (a few seconds at most), then ends the thread. */
    @Override
    public void close() throws InterruptedException {
        thread.shutdown();
        if (!thread.awaitTermination(20, TimeUnit.SECONDS)) {
            thread.shutdownNow();
        }
    }
}
