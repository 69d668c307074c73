package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.Cli.Run;
import io.bimm.flink.testutil.CupClips;
import io.bimm.model.checkpoint.Checkpoints;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm train} against a checkpoint directory whose model checkpoints are all corrupt: the
 * restore cannot succeed, so the job fails at once and the command exits 1 with the cause in one
 * line (it used to restart forever, saying the job was running).
 */
class TrainFailureITCase {

    private static String freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return Integer.toString(s.getLocalPort());
        }
    }

    private static Run train(String bootstrap, Path ckpt, int maxSteps, String... more)
            throws Exception {
        List<String> args =
                new java.util.ArrayList<>(
                        List.of(
                                "train",
                                "--bootstrap",
                                bootstrap,
                                "--preset",
                                "tiny",
                                "--batch-size",
                                "2",
                                "--device",
                                "cpu",
                                "--checkpoint-dir",
                                ckpt.toString(),
                                "--max-steps",
                                Integer.toString(maxSteps),
                                "--port",
                                freePort(),
                                "-D",
                                "train.warmup-steps=1",
                                "-D",
                                "train.flink-checkpoint-interval=5s"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void aCorruptCheckpointWithNoGoodOneFailsTheRunWithItsCause(@TempDir Path tmp) {
        // The bound only stops a regression (endless restarts) from hanging the build.
        assertTimeoutPreemptively(
                Duration.ofMinutes(15),
                () -> {
                    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
                        kafka.createDefaultTopics(2);
                        String bootstrap = kafka.bootstrapServers();
                        CupClips.produce(bootstrap, "cup", 6);
                        Path ckpt = tmp.resolve("ckpt");
                        Run first = train(bootstrap, ckpt, 2, "--fresh");
                        assertThat(first.exit()).as(first.err()).isZero();

                        List<Path> steps;
                        try (Stream<Path> s = Files.list(ckpt)) {
                            steps = s.filter(p -> Checkpoints.stepOf(p) >= 0).toList();
                        }
                        assertThat(steps).isNotEmpty();
                        for (Path step : steps) {
                            Files.writeString(step.resolve(Checkpoints.OPTIMIZER), "garbage");
                        }

                        Run second = train(bootstrap, ckpt, 4);
                        assertThat(second.out()).contains("resuming from savepoint");
                        assertThat(second.exit()).as(second.out()).isEqualTo(1);
                        // One error line (beside the progress line's plain-mode lines on stderr).
                        List<String> lines =
                                second.err().lines().filter(l -> l.startsWith("bimm: ")).toList();
                        assertThat(lines).as(second.err()).hasSize(1);
                        assertThat(lines.get(0))
                                .startsWith(
                                        "bimm: The training job ended as FAILED: root cause:"
                                                + " java.io.IOException: Model checkpoint ")
                                .contains("is corrupt: optimizer.safetensors")
                                .endsWith("no older checkpoint beside it verifies.");
                        assertThat(second.out()).doesNotContain("job restarting");
                    }
                });
    }
}
