package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping a job in the states {@code bimm train} meets: one that already ended on its own, and one
 * that is restarting (where no savepoint can be taken). Small jobs in a MiniCluster with its REST
 * API, whose exception history the restart report reads.
 */
class JobStopperITCase {

    @TempDir Path root;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static StreamExecutionEnvironment env(int port, Configuration extra) {
        Configuration conf = new Configuration(extra);
        conf.set(RestOptions.PORT, port);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
        env.setParallelism(1);
        return env;
    }

    /** Defect: a stop (max-steps reached, Ctrl-C) after the job ended failed the whole run. */
    @Test
    void stoppingAJobThatAlreadyEndedIsNoError() throws Exception {
        StreamExecutionEnvironment env = env(freePort(), new Configuration());
        env.fromSequence(1, 10).addSink(new DiscardingSink<>());
        JobClient client = env.executeAsync("ends-by-itself");
        client.getJobExecutionResult().get(60, TimeUnit.SECONDS);

        JobStopper.Outcome o = new JobStopper(client, root).stop();
        assertThat(o.savepoint()).isNull();
        assertThat(o.line()).contains("the job had already ended").contains("nothing to stop");
    }

    /**
     * Defect: Ctrl-C while the job was restarting hung for good. A restarting job gets no
     * savepoint: it is cancelled, in bounded time, and the line says so. Each restart was reported
     * with its root cause.
     */
    @Test
    void aRestartingJobIsCancelledAndEachRestartReported() throws Exception {
        Configuration conf = new Configuration();
        // One failure, then an hour of backoff: the job stays RESTARTING while it is stopped.
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofHours(1));
        int port = freePort();
        StreamExecutionEnvironment env = env(port, conf);
        env.fromSequence(0, Long.MAX_VALUE)
                .map(
                        x -> {
                            if (x >= 0) {
                                throw new IllegalStateException("always failing at " + x);
                            }
                            return x;
                        })
                .returns(Long.class)
                .addSink(new DiscardingSink<>());
        JobClient client = env.executeAsync("always-failing");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        RestartReporter restarts =
                new RestartReporter(
                        "localhost:" + port,
                        client.getJobID(),
                        RestartReporter.maxAttempts(conf),
                        out);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (bytes.size() == 0 && System.nanoTime() < deadline) {
            restarts.reportRestarts(restarts.fetchNew());
            Thread.sleep(200);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo(
                        "job restarting (attempt 1/5): root cause:"
                                + " java.lang.IllegalStateException: always failing at 0"
                                + System.lineSeparator());
        assertThat(client.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RESTARTING);

        // The bound only keeps a regression from hanging the build; the stop takes seconds.
        JobStopper.Outcome o =
                CompletableFuture.supplyAsync(() -> new JobStopper(client, root).stop())
                        .get(3, TimeUnit.MINUTES);
        assertThat(o.savepoint()).isNull();
        assertThat(o.line())
                .isEqualTo(
                        "stopped: the job was RESTARTING, so no savepoint could be taken, job"
                                + " cancelled; there is no checkpoint to resume from");
        assertThat(client.getJobExecutionResult()).failsWithin(Duration.ofSeconds(30));
    }
}
