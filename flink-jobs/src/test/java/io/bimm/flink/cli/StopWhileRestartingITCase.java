package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.CupClips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM (what Ctrl-C sends through the launcher) to a real {@code bimm train} whose job is
 * restarting: it used to print "stopping with a savepoint..." and never exit. Now it cancels the
 * job, says so in one line, and exits.
 */
class StopWhileRestartingITCase {

    @Test
    void sigtermWhileRestartingCancelsAndExits(@TempDir Path tmp) {
        assertTimeoutPreemptively(
                Duration.ofMinutes(10),
                () -> {
                    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
                        kafka.createDefaultTopics(2);
                        String bootstrap = kafka.bootstrapServers();
                        CupClips.produce(bootstrap, "cup", 4);
                        List<String> args =
                                ResumeAfterKillITCase.trainArgs(
                                        bootstrap, tmp.resolve("ckpt"), 100);
                        // The first sample fails the job; the restart then waits an hour.
                        args.addAll(
                                List.of(
                                        "--fresh",
                                        "-D",
                                        "fault.throw-at-sample=1",
                                        "-D",
                                        "restart-strategy.type=fixed-delay",
                                        "-D",
                                        "restart-strategy.fixed-delay.attempts=3",
                                        "-D",
                                        "restart-strategy.fixed-delay.delay=1h"));
                        Path log = tmp.resolve("train.log");
                        Process train = ResumeAfterKillITCase.start(args, log);
                        try {
                            while (!Files.readString(log)
                                    .contains("job restarting (attempt 1/3)")) {
                                assertThat(train.isAlive()).as(Files.readString(log)).isTrue();
                                Thread.sleep(200);
                            }
                            assertThat(Files.readString(log))
                                    .contains(
                                            "root cause: io.bimm.flink.fault.FaultInjector$InjectedFault:"
                                                    + " Injected fault at sample 1");
                            train.destroy(); // SIGTERM
                            // The bound keeps a regression (a hang) from hanging the build.
                            assertThat(train.waitFor(5, TimeUnit.MINUTES))
                                    .as(Files.readString(log))
                                    .isTrue();
                            assertThat(Files.readString(log))
                                    .contains(
                                            "stopped: the job was RESTARTING, so no savepoint could"
                                                    + " be taken, job cancelled;");
                        } finally {
                            train.destroyForcibly();
                        }
                    }
                });
    }
}
