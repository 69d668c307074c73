package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.Cli.Run;
import io.bimm.flink.testutil.CupClips;
import io.bimm.flink.train.ResumePoints;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.flink.train.TrainingSink;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.schemas.Topics;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume after a crash, as a user meets it: a run ends with a savepoint, the next {@code bimm
 * train} (a real process) is killed with SIGKILL after a Flink checkpoint newer than that savepoint
 * completed, and a third run resumes from that checkpoint, not from the older savepoint. {@code
 * progress.json} and the committed Kafka offsets then show every sample trained once: none twice,
 * none lost. Takes about two to three minutes on 2 cores, hence its own ITCase.
 */
class ResumeAfterKillITCase {

    private static final int PRODUCED = 16; // 8 steps of batch 2, one sample per clip
    private static final int STEPS = PRODUCED / 2;

    private static String freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return Integer.toString(s.getLocalPort());
        }
    }

    static List<String> trainArgs(String bootstrap, Path ckpt, int maxSteps) throws Exception {
        return new ArrayList<>(
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
                        "--checkpoint-every",
                        "1",
                        "--max-steps",
                        Integer.toString(maxSteps),
                        "--port",
                        freePort(),
                        "-D",
                        "train.warmup-steps=1",
                        "-D",
                        "train.flink-checkpoint-interval=3s",
                        // One sample per record: PRODUCED counts both (TrainJobITCase and
                        // TrainingSinkTest cover repeated sampling's accounting).
                        "-D",
                        "prep.repeated-sampling=1"));
    }

    /** {@code bimm train ...} in its own JVM, with this test JVM's flags and classpath. */
    static Process start(List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(BimmCli.class.getName());
        cmd.addAll(args);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static JsonObject progress(Path ckpt) throws Exception {
        Path f = ckpt.resolve(TrainingSink.PROGRESS_FILE);
        return Files.exists(f)
                ? JsonParser.parseString(Files.readString(f)).getAsJsonObject()
                : null;
    }

    /** Sum of the training consumer group's committed offsets: the records it consumed. */
    private static long committed(EmbeddedKafka kafka) throws Exception {
        try (Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets(TrainJobOptions.GROUP_ID.defaultValue())
                            .partitionsToOffsetAndMetadata()
                            .get(30, TimeUnit.SECONDS);
            return offsets.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    /** Sum of the clips topic's end offsets: every record produced. */
    private static long endOffsets(EmbeddedKafka kafka) throws Exception {
        try (Admin admin = kafka.admin()) {
            var partitions =
                    admin.describeTopics(List.of(Topics.CLIPS))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get(Topics.CLIPS)
                            .partitions();
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            for (var p : partitions) {
                latest.put(new TopicPartition(Topics.CLIPS, p.partition()), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset)
                    .sum();
        }
    }

    @Test
    void aKilledRunResumesFromItsNewestCheckpointWithEverySampleOnce(@TempDir Path tmp) {
        assertTimeoutPreemptively(
                Duration.ofMinutes(10),
                () -> {
                    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
                        kafka.createDefaultTopics(2);
                        String bootstrap = kafka.bootstrapServers();
                        CupClips.produce(bootstrap, "cup", PRODUCED);
                        Path ckpt = tmp.resolve("ckpt");

                        // Run 1 ends cleanly at step 2 with a savepoint.
                        List<String> first = trainArgs(bootstrap, ckpt, 2);
                        first.add("--fresh");
                        Run r1 = Cli.run(first.toArray(String[]::new));
                        assertThat(r1.exit()).as(r1.err()).isZero();
                        assertThat(ResumePoints.newest(ckpt).orElseThrow().kind())
                                .isEqualTo(ResumePoints.Kind.SAVEPOINT);

                        // Run 2, a real process, is killed -9 once a Flink checkpoint at step
                        // >= 4 completed (the progress file names the newest snapshot; its id
                        // equals the newest complete chk-N between two checkpoints).
                        Path log = tmp.resolve("run2.log");
                        Process run2 = start(trainArgs(bootstrap, ckpt, STEPS), log);
                        long resumeStep = -1;
                        Path resumeDir = null;
                        while (resumeStep < 0) {
                            assertThat(run2.isAlive()).as(Files.readString(log)).isTrue();
                            JsonObject p = progress(ckpt);
                            var newest = ResumePoints.newest(ckpt).orElseThrow();
                            if (p != null
                                    && newest.kind() == ResumePoints.Kind.CHECKPOINT
                                    && p.get("step").getAsLong() >= 4
                                    && newest.dir()
                                            .getFileName()
                                            .toString()
                                            .equals("chk-" + p.get("flink_checkpoint_id"))) {
                                run2.destroyForcibly(); // SIGKILL
                                resumeStep = p.get("step").getAsLong();
                                resumeDir = newest.dir();
                            } else {
                                Thread.sleep(100);
                            }
                        }
                        assertThat(run2.waitFor(60, TimeUnit.SECONDS)).isTrue();
                        long killedAt = System.currentTimeMillis();
                        assertThat(resumeStep).isLessThan(STEPS);
                        // No checkpoint completed between the check and the kill.
                        assertThat(ResumePoints.newest(ckpt).orElseThrow().dir())
                                .as(Files.readString(log))
                                .isEqualTo(resumeDir);

                        // Run 3 resumes from that checkpoint, not from the older savepoint.
                        Thread.sleep(10); // the model checkpoints it writes are newer than killedAt
                        Run r3 = Cli.run(trainArgs(bootstrap, ckpt, STEPS).toArray(String[]::new));
                        assertThat(r3.exit()).as(r3.err()).isZero();
                        assertThat(r3.out())
                                .contains("resuming from retained checkpoint " + resumeDir.toUri())
                                .contains("newer than the newest savepoint");

                        // Steps up to the resume point were trained once, by runs 1 and 2: run 3
                        // wrote none of them again (a resume from the savepoint at step 2 would
                        // rewrite step 3 onwards).
                        try (Stream<Path> s = Files.list(ckpt)) {
                            for (Path step : s.filter(p -> Checkpoints.stepOf(p) >= 0).toList()) {
                                long written =
                                        Files.getLastModifiedTime(
                                                        step.resolve(Checkpoints.MANIFEST))
                                                .toMillis();
                                if (Checkpoints.stepOf(step) <= resumeStep) {
                                    assertThat(written).as(step.toString()).isLessThan(killedAt);
                                } else {
                                    assertThat(written).as(step.toString()).isGreaterThan(killedAt);
                                }
                            }
                        }
                        // Every produced sample is in the model once: trained + pending equals
                        // every record of the topic (its end offsets). The group's committed
                        // offsets are committed for monitoring only, asynchronously when a
                        // checkpoint completes: they may lag (none at all was seen in a CI run
                        // on a loaded machine) but never run ahead.
                        JsonObject done = progress(ckpt);
                        assertThat(done.get("step").getAsLong()).isEqualTo(STEPS);
                        long trained = done.get("samples_seen").getAsLong();
                        long pending = done.get("pending_samples").getAsLong();
                        assertThat(trained).isEqualTo(PRODUCED);
                        assertThat(pending).isZero();
                        assertThat(endOffsets(kafka)).isEqualTo(trained + pending);
                        assertThat(committed(kafka)).isBetween(0L, trained + pending);
                    }
                });
    }
}
