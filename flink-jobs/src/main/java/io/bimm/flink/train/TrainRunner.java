package io.bimm.flink.train;

import io.bimm.model.checkpoint.Checkpoints;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.client.JobCancellationException;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.RemoteStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ExceptionUtils;

/**
 * Runs the training job in a local MiniCluster (with the web dashboard) or on a remote cluster,
 * prints a line per model checkpoint and per restart (with its root cause), and ends it: after
 * {@code train.max-steps}, or on Ctrl-C, it stops the job with a savepoint, or cancels it when no
 * savepoint can be taken in time ({@link JobStopper}). The next run resumes from the newest
 * savepoint or retained Flink checkpoint ({@link ResumePoints}). A job that fails (a permanent
 * error, or more restarts in a row than the strategy allows) ends the run with {@link
 * JobFailedException}.
 */
public final class TrainRunner {

    /** What a run did. */
    public record Result(long steps, String savepoint, Path latestCheckpoint) {}

    /** The job failed: its message is one line with the root cause. */
    public static final class JobFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JobFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Restarts in a row (without an hour of running between them) before the job fails: a fault
     * that persists ends the run within minutes instead of restarting it forever.
     */
    static final int RESTART_ATTEMPTS = 10;

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
            // A long-running job: restarts back off exponentially (2 s, 4 s, ... 2 min) and the
            // count and backoff reset after an hour without failure, so faults spread over days
            // never exhaust the budget; ten failures in a row fail the job (after about 9
            // minutes of backoff) instead of restarting it forever.
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
            conf.set(
                    RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS,
                    RESTART_ATTEMPTS);
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
            ResumePoints.newest(root)
                    .ifPresent(
                            p ->
                                    conf.set(
                                            StateRecoveryOptions.SAVEPOINT_PATH,
                                            p.dir().toUri().toString()));
        }
        return conf;
    }

    static Path checkpointRoot(Configuration options) {
        return Paths.get(options.get(TrainJobOptions.CHECKPOINT_DIR)).toAbsolutePath().normalize();
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
        Path root = checkpointRoot(options);
        Optional<ResumePoints.ResumePoint> resume =
                fresh || options.contains(StateRecoveryOptions.SAVEPOINT_PATH)
                        ? Optional.empty()
                        : ResumePoints.newest(root);
        if (resume.isPresent()) {
            out.println(ResumePoints.describe(resume.get(), root));
        } else {
            conf.getOptional(StateRecoveryOptions.SAVEPOINT_PATH)
                    .ifPresent(p -> out.println("resuming from savepoint " + p));
        }
        StreamExecutionEnvironment env;
        String restAddress;
        if (jobManager == null) {
            LocalEndpoints.configure(conf, webPort);
            conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(2));
            // The dashboard shows losses within a second of each step.
            conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
            env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
            env.setParallelism(Math.max(1, options.get(TrainJobOptions.PREP_PARALLELISM)));
            restAddress = "localhost:" + webPort;
            out.println("Flink dashboard: http://" + restAddress);
        } else {
            String[] hp = jobManager.split(":");
            if (hp.length != 2) {
                throw new IllegalArgumentException(
                        "--jobmanager must be HOST:PORT, not " + jobManager);
            }
            // The restore settings are passed explicitly: without them the remote environment
            // resets every setting but the path to its default, so -D
            // execution.state-recovery.ignore-unclaimed-state=true (or a claim mode) was dropped.
            String jar = jobJar();
            env =
                    new RemoteStreamEnvironment(
                            hp[0],
                            Integer.parseInt(hp[1]),
                            conf,
                            new String[] {jar},
                            null,
                            SavepointRestoreSettings.fromConfiguration(conf));
            restAddress = jobManager;
            out.println("Submitting to the Flink cluster at http://" + jobManager);
            out.printf(
                    "job jar %s (%.1f MB)%n",
                    jar, Files.isRegularFile(Path.of(jar)) ? Files.size(Path.of(jar)) / 1e6 : 0.0);
        }
        TrainJob.build(env, options);
        // Checkpoints of this run are those written from here on (one second of clock slack).
        long startedAt = System.currentTimeMillis() - 1000;
        JobClient client = env.executeAsync(TrainJob.NAME);
        out.println("job " + client.getJobID() + " running");
        out.flush();

        RestartReporter restarts =
                new RestartReporter(
                        restAddress, client.getJobID(), RestartReporter.maxAttempts(conf), out);
        JobStopper stopper = new JobStopper(client, root);
        long maxSteps = options.get(TrainJobOptions.MAX_STEPS);
        AtomicBoolean stopping = new AtomicBoolean();
        String[] savepoint = new String[1];
        Thread hook =
                new Thread(
                        () -> {
                            if (stopping.compareAndSet(false, true)) {
                                out.println("stopping (savepoint, or cancel if none in time)...");
                                out.flush();
                                JobStopper.Outcome o = stopper.stop();
                                savepoint[0] = o.savepoint();
                                out.println(o.line());
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
                // Failures first, then the status: a failure that ended the job is reported as
                // the job's failure, not as a restart.
                List<RestartReporter.Failure> failures = restarts.fetchNew();
                JobStatus status = statusOf(client);
                if (status.isGloballyTerminalState()) {
                    if (status != JobStatus.FINISHED && !stopping.get()) {
                        throw failed(client, status, restarts);
                    }
                    break;
                }
                restarts.reportRestarts(failures);
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
                        && Checkpoints.stepOf(reached) >= maxSteps
                        && stopping.compareAndSet(false, true)) {
                    out.println("reached train.max-steps=" + maxSteps + "; stopping the job");
                    JobStopper.Outcome o = stopper.stop();
                    savepoint[0] = o.savepoint();
                    out.println(o.line());
                    out.flush();
                    break;
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
                latest == null ? steps : Math.max(steps, Checkpoints.stepOf(latest)),
                savepoint[0],
                latest);
    }

    /**
     * The job's status. A local MiniCluster shuts down when its job ends and then answers no
     * status: the job's result says how it ended.
     */
    private static JobStatus statusOf(JobClient client) throws Exception {
        try {
            return client.getJobStatus().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | IllegalStateException e) {
            // (The MiniCluster's client throws "not yet running or already shut down" at once.)
            try {
                client.getJobExecutionResult().get(10, TimeUnit.SECONDS);
                return JobStatus.FINISHED;
            } catch (ExecutionException failed) {
                return ExceptionUtils.findThrowable(failed, JobCancellationException.class)
                                .isPresent()
                        ? JobStatus.CANCELED
                        : JobStatus.FAILED;
            } catch (TimeoutException stillRunning) {
                throw e;
            }
        }
    }

    /** The failure of a job that ended as {@code status} on its own, with its root cause. */
    private static JobFailedException failed(
            JobClient client, JobStatus status, RestartReporter restarts) {
        Throwable cause = null;
        try {
            client.getJobExecutionResult().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            cause = e;
        }
        String root = cause != null ? JobStopper.oneLine(cause) : restarts.lastRootCause();
        return new JobFailedException(
                "The training job ended as "
                        + status
                        + (root == null ? "." : ": root cause: " + root),
                cause);
    }

    private static Optional<Long> stepsOf(JobClient client) {
        try {
            Map<String, Object> acc = client.getAccumulators().get(10, TimeUnit.SECONDS);
            Object v = acc.get(TrainingSink.STEPS_ACCUMULATOR);
            return v instanceof Number n ? Optional.of(n.longValue()) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** System property naming the jar to submit (default: the jar this class was loaded from). */
    public static final String JOB_JAR_PROPERTY = "bimm.job-jar";

    /**
     * The jar submitted to a cluster: {@code -Dbimm.job-jar}, else the lean {@code -cluster.jar}
     * built beside the {@code -all.jar} {@code bimm} runs from (no Flink, natives or broker: the
     * cluster has them, see deploy/README.md), else the jar this class was loaded from.
     */
    private static String jobJar() throws URISyntaxException {
        String override = System.getProperty(JOB_JAR_PROPERTY);
        if (override != null && !override.isBlank()) {
            return override;
        }
        Path own =
                Paths.get(
                        TrainRunner.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI());
        String name = own.getFileName().toString();
        if (name.endsWith("-all.jar")) {
            Path lean =
                    own.resolveSibling(
                            name.substring(0, name.length() - "-all.jar".length())
                                    + "-cluster.jar");
            if (Files.isRegularFile(lean)) {
                return lean.toString();
            }
        }
        return own.toString();
    }
}
