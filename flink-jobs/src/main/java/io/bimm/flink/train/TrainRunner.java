package io.bimm.flink.train;

import io.bimm.model.checkpoint.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.RemoteStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the training job in a local MiniCluster (with the web dashboard) or on a remote cluster,
 * prints a line per model checkpoint, and ends it cleanly: after {@code train.max-steps}, or on
 * Ctrl-C, it stops the job with a savepoint, which the next run resumes from.
 */
public final class TrainRunner {

    private static final Logger LOG = LoggerFactory.getLogger(TrainRunner.class);

    /** What a run did. */
    public record Result(long steps, String savepoint, Path latestCheckpoint) {}

    private TrainRunner() {}

    /** The Flink configuration of a training run: checkpoints, savepoints, restarts. */
    public static Configuration flinkConfig(Configuration options, boolean fresh) {
        Configuration conf = new Configuration(options);
        Path root = checkpointRoot(options);
        conf.set(
                CheckpointingOptions.CHECKPOINTING_INTERVAL,
                options.get(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL));
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                root.resolve("flink").toUri().toString());
        conf.set(
                CheckpointingOptions.SAVEPOINT_DIRECTORY,
                root.resolve("savepoints").toUri().toString());
        conf.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        conf.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 2);
        if (!conf.contains(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER)) {
            // A full or unwritable disk fails the asynchronous write of Flink's own state: that
            // is reported and tolerated a while. (The model checkpoint is written in the sink's
            // synchronous snapshot; its failure always fails over to the last completed one.)
            conf.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 10);
        }
        if (!conf.contains(RestartStrategyOptions.RESTART_STRATEGY)) {
            // A long-running job: restarts back off exponentially and the backoff resets after
            // an hour without failure, so faults spread over days never exhaust a fixed budget.
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
            conf.set(
                    RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
                    Duration.ofSeconds(2));
            conf.set(
                    RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF,
                    Duration.ofMinutes(2));
            conf.set(
                    RestartStrategyOptions
                            .RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD,
                    Duration.ofHours(1));
        }
        if (!fresh && !conf.contains(StateRecoveryOptions.SAVEPOINT_PATH)) {
            newestSavepoint(root)
                    .ifPresent(
                            p ->
                                    conf.set(
                                            StateRecoveryOptions.SAVEPOINT_PATH,
                                            p.toUri().toString()));
        }
        return conf;
    }

    static Path checkpointRoot(Configuration options) {
        return Paths.get(options.get(TrainJobOptions.CHECKPOINT_DIR)).toAbsolutePath().normalize();
    }

    /** The newest savepoint a previous run left under the checkpoint directory. */
    static Optional<Path> newestSavepoint(Path root) {
        Path dir = root.resolve("savepoints");
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("_metadata")))
                    .max(Comparator.comparingLong(TrainRunner::modified));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p.resolve("_metadata")).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Runs the job until {@code train.max-steps} (or forever, until Ctrl-C).
     *
     * @param jobManager {@code host:port} of a cluster's REST endpoint, or null for a local
     *     MiniCluster
     * @param webPort the local dashboard's port
     */
    public static Result run(
            Configuration options, boolean fresh, String jobManager, int webPort, PrintStream out)
            throws Exception {
        Configuration conf = flinkConfig(options, fresh);
        conf.getOptional(StateRecoveryOptions.SAVEPOINT_PATH)
                .ifPresent(p -> out.println("resuming from savepoint " + p));
        StreamExecutionEnvironment env;
        if (jobManager == null) {
            LocalEndpoints.configure(conf, webPort);
            conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(2));
            // The dashboard shows losses within a second of each step.
            conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
            env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
            env.setParallelism(Math.max(1, options.get(TrainJobOptions.PREP_PARALLELISM)));
            out.println("Flink dashboard: http://localhost:" + webPort);
        } else {
            String[] hp = jobManager.split(":");
            if (hp.length != 2) {
                throw new IllegalArgumentException(
                        "--jobmanager must be HOST:PORT, not " + jobManager);
            }
            // The restore settings are passed explicitly: without them the remote environment
            // resets every setting but the path to its default, so -D
            // execution.state-recovery.ignore-unclaimed-state=true (or a claim mode) was dropped.
            env =
                    new RemoteStreamEnvironment(
                            hp[0],
                            Integer.parseInt(hp[1]),
                            conf,
                            new String[] {jobJar()},
                            null,
                            SavepointRestoreSettings.fromConfiguration(conf));
            out.println("Submitting to the Flink cluster at http://" + jobManager);
        }
        TrainJob.build(env, options);
        // Checkpoints of this run are those written from here on (one second of clock slack).
        long startedAt = System.currentTimeMillis() - 1000;
        JobClient client = env.executeAsync(TrainJob.NAME);
        out.println("job " + client.getJobID() + " running");
        out.flush();

        long maxSteps = options.get(TrainJobOptions.MAX_STEPS);
        Path root = checkpointRoot(options);
        AtomicBoolean stopping = new AtomicBoolean();
        String[] savepoint = new String[1];
        Thread hook =
                new Thread(
                        () -> {
                            if (stopping.compareAndSet(false, true)) {
                                out.println("stopping with a savepoint...");
                                savepoint[0] = stop(client, root);
                                out.println("savepoint " + savepoint[0]);
                                out.flush();
                            }
                        },
                        "bimm-train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        long steps = 0;
        // Checkpoints this run writes: a fresh run into a directory that holds an older run's
        // higher steps must neither report nor stop on those.
        Path lastSeen = Checkpoints.latestSince(root, startedAt);
        try {
            while (true) {
                JobStatus status = client.getJobStatus().get(30, TimeUnit.SECONDS);
                if (status.isGloballyTerminalState()) {
                    if (status != JobStatus.FINISHED && !stopping.get()) {
                        client.getJobExecutionResult().get();
                        throw new IllegalStateException(
                                "The training job ended as " + status + ".");
                    }
                    break;
                }
                steps = stepsOf(client).orElse(steps);
                Path latest = Checkpoints.latestSince(root, startedAt);
                if (latest != null && !latest.equals(lastSeen)) {
                    out.println("checkpoint " + latest);
                    out.flush();
                    lastSeen = latest;
                }
                // The limit counts on a checkpoint this run wrote; before it wrote one, on the
                // trainer's step (its accumulator starts at the restored step): a run resumed at
                // or past the limit stops at once, while a run that fell back from a refused
                // newer checkpoint, or a fresh run into a directory holding an older run's higher
                // steps, trains up to the limit.
                Path reached =
                        latest != null
                                ? latest
                                : (steps >= maxSteps ? Checkpoints.latest(root) : null);
                if (maxSteps > 0
                        && reached != null
                        && stepOf(reached) >= maxSteps
                        && !stopping.get()) {
                    if (stopping.compareAndSet(false, true)) {
                        out.println(
                                "reached train.max-steps="
                                        + maxSteps
                                        + "; stopping with a savepoint");
                        savepoint[0] = stop(client, root);
                        break;
                    }
                }
                Thread.sleep(1000);
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
        Path latest = Checkpoints.latestSince(root, startedAt);
        if (latest == null) {
            latest = Checkpoints.latest(root);
        }
        return new Result(
                latest == null ? steps : Math.max(steps, stepOf(latest)), savepoint[0], latest);
    }

    /**
     * Stops the job with a savepoint. A savepoint is refused while some task is not running yet (a
     * job that reached its step limit while its last preprocessing instances still load their
     * native libraries) or when a checkpoint is declined; such a refusal is retried.
     */
    private static String stop(JobClient client, Path root) {
        Exception last = null;
        for (int attempt = 1; attempt <= STOP_ATTEMPTS; attempt++) {
            try {
                return client.stopWithSavepoint(
                                false,
                                root.resolve("savepoints").toUri().toString(),
                                SavepointFormatType.CANONICAL)
                        .get(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                last = e;
                break;
            } catch (Exception e) {
                last = e;
                try {
                    if (client.getJobStatus().get(30, TimeUnit.SECONDS).isGloballyTerminalState()) {
                        break;
                    }
                    LOG.warn(
                            "Stop with savepoint attempt {} of {} failed, retrying in {} s: {}",
                            attempt,
                            STOP_ATTEMPTS,
                            STOP_RETRY_SECONDS,
                            e.getMessage());
                    Thread.sleep(STOP_RETRY_SECONDS * 1000L);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (Exception statusFailed) {
                    break;
                }
            }
        }
        throw new IllegalStateException(
                "Stopping the job with a savepoint failed: " + last.getMessage(), last);
    }

    private static final int STOP_ATTEMPTS = 10;
    private static final int STOP_RETRY_SECONDS = 3;

    private static Optional<Long> stepsOf(JobClient client) {
        try {
            Map<String, Object> acc = client.getAccumulators().get(10, TimeUnit.SECONDS);
            Object v = acc.get(TrainingSink.STEPS_ACCUMULATOR);
            return v instanceof Number n ? Optional.of(n.longValue()) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    static long stepOf(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        return name.startsWith("step-") ? Long.parseLong(name.substring(5)) : -1;
    }

    /** System property naming the jar to submit (default: the jar this class was loaded from). */
    public static final String JOB_JAR_PROPERTY = "bimm.job-jar";

    /**
     * The jar submitted to a cluster: the shaded one {@code bimm} runs from, or {@code
     * -Dbimm.job-jar} (tests load this class from the module's thin jar).
     */
    private static String jobJar() throws URISyntaxException {
        String override = System.getProperty(JOB_JAR_PROPERTY);
        if (override != null && !override.isBlank()) {
            return override;
        }
        return Paths.get(
                        TrainRunner.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI())
                .toString();
    }
}
