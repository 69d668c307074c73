package io.bimm.flink.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.util.ExceptionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a training job in bounded time: with a savepoint when the job runs and one completes within
 * {@link #SAVEPOINT_TIMEOUT}; otherwise (the job is restarting or initializing, or the savepoint
 * failed or timed out) by cancelling it, after which the next run resumes from the newest retained
 * Flink checkpoint. A job that already ended is no error.
 */
final class JobStopper {

    private static final Logger LOG = LoggerFactory.getLogger(JobStopper.class);

    /** How long a stop waits for its savepoint, retries of refused triggers included. */
    static final Duration SAVEPOINT_TIMEOUT = Duration.ofSeconds(60);

    /** How long a stop waits for the cancel to be confirmed. */
    static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(30);

    private static final long RETRY_MILLIS = 2000;
    private static final long STATUS_TIMEOUT_SECONDS = 10;

    /** How a stop ended: the savepoint written (null when none) and a one-line report. */
    record Outcome(String savepoint, String line) {}

    private final JobClient client;
    private final Path root;
    private final Duration savepointTimeout;

    JobStopper(JobClient client, Path root) {
        this(client, root, SAVEPOINT_TIMEOUT);
    }

    JobStopper(JobClient client, Path root, Duration savepointTimeout) {
        this.client = client;
        this.root = root;
        this.savepointTimeout = savepointTimeout;
    }

    /** Stops the job; never throws, and returns within about the two timeouts. */
    Outcome stop() {
        JobStatus status = status();
        if (status == null || status.isGloballyTerminalState()) {
            return ended(status);
        }
        String why;
        if (status == JobStatus.RUNNING) {
            try {
                String savepoint = savepoint();
                return new Outcome(savepoint, "stopped with savepoint " + savepoint);
            } catch (Exception e) {
                why = "savepoint failed (" + oneLine(e) + ")";
            }
            status = status();
            if (status == null || status.isGloballyTerminalState()) {
                return ended(status);
            }
        } else {
            why = "the job was " + status + ", so no savepoint could be taken";
        }
        String cancel = cancel();
        return new Outcome(
                null,
                "stopped: "
                        + why
                        + ", "
                        + cancel
                        + "; "
                        + ResumePoints.newest(root)
                                .map(p -> "resume will start from " + p.kind() + " " + p.dir())
                                .orElse("there is no checkpoint to resume from"));
    }

    private Outcome ended(JobStatus status) {
        return new Outcome(
                null,
                status == null
                        ? "the job had already ended (its cluster no longer knows it); nothing to"
                                + " stop"
                        : "the job had already ended as " + status + "; nothing to stop");
    }

    /**
     * Stop-with-savepoint, retried while Flink refuses it (a task not running yet, a declined
     * checkpoint), until the timeout.
     */
    private String savepoint() throws Exception {
        long deadline = System.nanoTime() + savepointTimeout.toNanos();
        String target = root.resolve(ResumePoints.SAVEPOINTS).toUri().toString();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException(
                        "no savepoint within " + savepointTimeout.toSeconds() + " s");
            }
            try {
                return client.stopWithSavepoint(false, target, SavepointFormatType.CANONICAL)
                        .get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new TimeoutException(
                        "no savepoint within " + savepointTimeout.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw e;
            } catch (Exception e) {
                JobStatus s = status();
                if (s != JobStatus.RUNNING
                        || deadline - System.nanoTime() < RETRY_MILLIS * 1_000_000) {
                    throw e;
                }
                LOG.warn("Stop with savepoint refused, retrying: {}", oneLine(e));
                Thread.sleep(RETRY_MILLIS);
            }
        }
    }

    private String cancel() {
        try {
            client.cancel().get(CANCEL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return "job cancelled";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "cancel interrupted";
        } catch (TimeoutException e) {
            return "cancel not confirmed within " + CANCEL_TIMEOUT.toSeconds() + " s";
        } catch (Exception e) {
            JobStatus s = status();
            return s == null || s.isGloballyTerminalState()
                    ? "job ended" + (s == null ? "" : " as " + s)
                    : "cancel failed (" + oneLine(e) + ")";
        }
    }

    /**
     * The job's status, or null when the cluster no longer knows the job or is gone (a local
     * MiniCluster shuts down when its job ends).
     */
    private JobStatus status() {
        try {
            return client.getJobStatus().get(STATUS_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            LOG.warn("Cannot read the job's status: {}", oneLine(e));
            return null;
        }
    }

    /** The root cause of {@code e} as one line: its class and first message line. */
    static String oneLine(Throwable e) {
        Throwable root = ExceptionUtils.stripExecutionException(e);
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String s = root.toString();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
