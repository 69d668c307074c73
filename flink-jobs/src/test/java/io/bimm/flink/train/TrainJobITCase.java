package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.ingest.TestVideos;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.plot.LossCurvesChart;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.testutil.CupClips;
import io.bimm.flink.testutil.DeadLetterTopic;
import io.bimm.model.Preset;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training job end to end: a real broker, the sample videos ingested, a MiniCluster training
 * the tiny preset, metrics over Flink's REST API, dead letters for damaged records, and a restart
 * from the savepoint that continues the step counter, optimizer and offsets.
 */
class TrainJobITCase {

    @Test
    void trainsCheckpointsReportsMetricsAndResumesExactly(@TempDir Path tmp) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            kafka.createDefaultTopics(2);
            String bootstrap = kafka.bootstrapServers();
            // First in their partitions, so they are read before the job stops at max steps.
            produceDamaged(bootstrap);
            Ingestor.Settings settings =
                    new Ingestor.Settings(
                            bootstrap,
                            Topics.CLIPS,
                            Topics.DEADLETTER,
                            4.0,
                            null,
                            false,
                            Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                            Long.MAX_VALUE,
                            2,
                            Map.of());
            IngestReport report;
            try (Ingestor ingestor = new Ingestor(settings)) {
                report =
                        ingestor.ingest(
                                InputFiles.expand(List.of(TestVideos.dir().toString())),
                                System.err,
                                false);
            }
            int good = report.clips();
            assertThat(good).isGreaterThanOrEqualTo(8);

            Path ckpt = tmp.resolve("ckpt");
            Configuration conf = new Configuration();
            conf.set(TrainJobOptions.BOOTSTRAP, bootstrap);
            conf.set(TrainJobOptions.PRESET, Preset.TINY);
            conf.set(TrainJobOptions.BATCH_SIZE, 2);
            conf.set(TrainJobOptions.CHECKPOINT_DIR, ckpt.toString());
            conf.set(TrainJobOptions.CHECKPOINT_EVERY, 1);
            conf.set(TrainJobOptions.WARMUP_STEPS, 1L);
            conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(5));
            conf.set(TrainJobOptions.DEVICE, "cpu");
            conf.set(TrainJobOptions.MAX_STEPS, 2L);
            // Repeated sampling: each record trains as R samples, and the accounting below counts
            // both (a savepoint never holds part of a record: trained + pending is a multiple).
            int r = 2;
            conf.set(PrepConfigOptions.REPEATED_SAMPLING, r);

            int port = freePort();
            CompletableFuture<Set<String>> metrics =
                    CompletableFuture.supplyAsync(() -> pollSinkMetrics(port));
            ByteArrayOutputStream out1 = new ByteArrayOutputStream();
            TrainRunner.Result r1 =
                    TrainRunner.run(
                            conf,
                            true,
                            null,
                            port,
                            new PrintStream(out1, true, StandardCharsets.UTF_8));
            assertThat(r1.steps()).isEqualTo(2);
            assertThat(r1.savepoint()).isNotNull();
            Path step2 = ckpt.resolve("step-000000000002");
            JsonObject m2 = manifest(step2);
            assertThat(m2.get("step").getAsLong()).isEqualTo(2);
            assertThat(m2.get("samples_seen").getAsLong()).isEqualTo(4);
            assertThat(m2.get("preset").getAsString()).isEqualTo("tiny");
            assertThat(m2.getAsJsonObject("sha256").keySet())
                    .containsExactlyInAnyOrder(Checkpoints.PARAMS, Checkpoints.OPTIMIZER);
            assertThat(ckpt.resolve("latest").toRealPath()).isEqualTo(step2.toRealPath());
            assertThat(out1.toString(StandardCharsets.UTF_8)).contains("checkpoint " + step2);
            // The training log, a line per step, and the loss curves beside the pictures.
            Path logFile = ckpt.resolve(TrainingLog.FILE);
            assertThat(TrainingLog.read(logFile))
                    .extracting(TrainingLogEntry::step)
                    .containsExactly(1L, 2L);
            assertThat(step2.resolve(LossCurvesChart.FILE)).isRegularFile();
            // What a crash after step 3 of an attempt that is then restored to step 2 leaves: a
            // line past the restored state, and a line torn mid-write. The restore drops both.
            TrainingLogEntry abandoned =
                    new TrainingLogEntry(
                            3, Instant.now(), 6, Map.of(), 42f, 0, 0, 0, 0, -1, false, 0);
            Files.writeString(
                    logFile, abandoned.toJson() + "\n{\"step\":4,\"ti", StandardOpenOption.APPEND);

            Set<String> seen = metrics.get();
            assertThat(seen)
                    .anySatisfy(id -> assertThat(id).endsWith("bimm.lossTotal"))
                    .anySatisfy(id -> assertThat(id).endsWith("bimm.loss_dorsal_motion"))
                    .anySatisfy(id -> assertThat(id).endsWith("bimm.stepTimeMs_median"))
                    .anySatisfy(id -> assertThat(id).endsWith("bimm.learningRate"))
                    .anySatisfy(id -> assertThat(id).endsWith("bimm.deviceMemoryMb"));

            // Every good clip read so far is either trained or waiting in the savepoint's state,
            // once: trained + pending never exceeds what was produced.
            JsonObject p1 = progress(ckpt);
            assertThat(p1.get("step").getAsLong()).isEqualTo(2);
            assertThat(p1.get("samples_seen").getAsLong()).isEqualTo(4);
            long held1 = p1.get("samples_seen").getAsLong() + p1.get("pending_samples").getAsLong();
            assertThat(held1).isBetween(4L, (long) good * r);
            assertThat(held1 % r).isZero();
            assertThat(p1.get("repeated_sampling").getAsInt()).isEqualTo(r);
            assertThat(p1.get("records_covered").getAsLong()).isEqualTo(held1 / r);

            // Resume from the savepoint: the step counter continues, nothing is read twice.
            conf.set(TrainJobOptions.MAX_STEPS, 4L);
            ByteArrayOutputStream out2 = new ByteArrayOutputStream();
            TrainRunner.Result r2 =
                    TrainRunner.run(
                            conf,
                            false,
                            null,
                            freePort(),
                            new PrintStream(out2, true, StandardCharsets.UTF_8));
            assertThat(out2.toString(StandardCharsets.UTF_8)).contains("resuming from savepoint");
            assertThat(r2.steps()).isEqualTo(4);
            JsonObject m4 = manifest(ckpt.resolve("step-000000000004"));
            assertThat(m4.get("samples_seen").getAsLong()).isEqualTo(8);
            // The log continues at the restored step: the model's history, each step once.
            List<TrainingLogEntry> log = TrainingLog.read(logFile);
            assertThat(log).extracting(TrainingLogEntry::step).containsExactly(1L, 2L, 3L, 4L);
            assertThat(log).extracting(TrainingLogEntry::total).doesNotContain(42f);
            assertThat(log.get(3).samplesSeen()).isEqualTo(8);
            assertThat(Files.readAllLines(logFile)).hasSize(4);
            assertThat(ckpt.resolve("step-000000000004").resolve(LossCurvesChart.FILE))
                    .isRegularFile();
            // Reconstruction pictures with each user-facing checkpoint, of one validation sample
            // kept across the restart: same masked input, predictions that moved with training.
            Path step4 = ckpt.resolve("step-000000000004");
            for (String png :
                    List.of(ReconstructionPictures.VENTRAL, ReconstructionPictures.DORSAL)) {
                BufferedImage a = ImageIO.read(step2.resolve(png).toFile());
                BufferedImage b = ImageIO.read(step4.resolve(png).toFile());
                int cols = png.equals(ReconstructionPictures.VENTRAL) ? 8 : 7;
                int gap = ReconstructionPictures.GAP;
                int size = (a.getWidth() - (cols + 1) * gap) / cols;
                int y0 = ReconstructionPictures.HEADER + gap;
                int masked = png.equals(ReconstructionPictures.VENTRAL) ? 1 : 0;
                int pred = masked + 2; // the first target's prediction
                assertThat(tile(b, masked, y0, size)).isEqualTo(tile(a, masked, y0, size));
                assertThat(tile(b, pred, y0, size)).isNotEqualTo(tile(a, pred, y0, size));
            }
            // Step 3 started from step 2's optimizer state: no step 1 or 2 checkpoint was written
            // again by the second run.
            assertThat(Files.getLastModifiedTime(step2.resolve(Checkpoints.MANIFEST)).toInstant())
                    .isBefore(
                            Files.getLastModifiedTime(
                                            ckpt.resolve("step-000000000003")
                                                    .resolve(Checkpoints.MANIFEST))
                                    .toInstant());
            // Exactly once across the restart: trained + pending is still every produced clip
            // (a lost partial batch or a re-read topic would change the sum).
            JsonObject p2 = progress(ckpt);
            assertThat(p2.get("step").getAsLong()).isEqualTo(4);
            assertThat(p2.get("samples_seen").getAsLong()).isEqualTo(8);
            long held2 = p2.get("samples_seen").getAsLong() + p2.get("pending_samples").getAsLong();
            assertThat(held2).isBetween(held1, (long) good * r);
            assertThat(held2 % r).isZero();

            // Third run: more records (R x produced samples are whole batches of 2 at R = 2),
            // train until every record's samples are in the model, and count: trained == R x
            // produced, nothing pending, nothing twice.
            int extra = good % 2 == 1 ? 1 : 2;
            // More good clips: the whole of cup.mp4 (8 s), under new clip ids.
            CupClips.produce(bootstrap, "extra", extra);
            long produced = good + extra;
            conf.set(TrainJobOptions.MAX_STEPS, produced * r / 2);
            TrainRunner.Result r3 =
                    TrainRunner.run(
                            conf,
                            false,
                            null,
                            freePort(),
                            new PrintStream(
                                    new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertThat(r3.steps()).isEqualTo(produced * r / 2);
            JsonObject p3 = progress(ckpt);
            assertThat(p3.get("samples_seen").getAsLong()).isEqualTo(produced * r);
            assertThat(p3.get("pending_samples").getAsLong()).isZero();
            assertThat(p3.get("records_covered").getAsLong()).isEqualTo(produced);
            assertThat(manifest(ckpt.resolve("latest")).get("samples_seen").getAsLong())
                    .isEqualTo(produced * r);

            // Both damaged records reached the dead-letter topic, with reasons and bytes.
            Map<String, String> reasons = deadLetterReasons(bootstrap);
            assertThat(reasons).containsEntry("deserialize", "bad_record");
            assertThat(reasons.keySet()).contains("decode");
        }
    }

    private static void produceDamaged(String bootstrap) throws Exception {
        byte[] noise = new byte[2000];
        new Random(11).nextBytes(noise);
        VideoClip garbage =
                VideoClip.newBuilder()
                        .setClipId("garbage-0")
                        .setSourceUri("file:///garbage.mp4")
                        .setSegmentIndex(0)
                        .setContainer("mp4")
                        .setCodec("h264")
                        .setData(ByteBuffer.wrap(noise))
                        .setFrameRate(25)
                        .setWidth(64)
                        .setHeight(64)
                        .setDurationMicros(1_000_000)
                        .setIngestTimestamp(Instant.now())
                        .build();
        try (KafkaProducer<String, byte[]> p =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(Topics.CLIPS, "noise", noise)).get();
            p.send(
                            new ProducerRecord<>(
                                    Topics.CLIPS,
                                    "garbage",
                                    AvroCodec.of(VideoClip.class).encode(garbage)))
                    .get();
        }
    }

    /** Stage to reason code of the dead letters of the two damaged records. */
    private static Map<String, String> deadLetterReasons(String bootstrap) {
        Map<String, String> stageToReason = new java.util.HashMap<>();
        for (DeadLetter d : DeadLetterTopic.read(bootstrap, 2)) {
            stageToReason.put(d.getStage(), d.getReasonCode());
            assertThat(d.getOriginalBytes().remaining()).isPositive();
        }
        return stageToReason;
    }

    /** Metric ids of the training sink, read over Flink's REST API while the job runs. */
    private static Set<String> pollSinkMetrics(int port) {
        HttpClient http = HttpClient.newHttpClient();
        Set<String> ids = new HashSet<>();
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                JsonArray jobs = get(http, port, "/jobs").getAsJsonArray("jobs");
                for (var j : jobs) {
                    String id = j.getAsJsonObject().get("id").getAsString();
                    for (var v : get(http, port, "/jobs/" + id).getAsJsonArray("vertices")) {
                        JsonObject vertex = v.getAsJsonObject();
                        if (!vertex.get("name").getAsString().contains("training-sink")) {
                            continue;
                        }
                        String vid = vertex.get("id").getAsString();
                        String body =
                                http.send(
                                                HttpRequest.newBuilder(
                                                                URI.create(
                                                                        "http://localhost:"
                                                                                + port
                                                                                + "/jobs/"
                                                                                + id
                                                                                + "/vertices/"
                                                                                + vid
                                                                                + "/metrics"))
                                                        .build(),
                                                HttpResponse.BodyHandlers.ofString())
                                        .body();
                        for (var m : JsonParser.parseString(body).getAsJsonArray()) {
                            ids.add(m.getAsJsonObject().get("id").getAsString());
                        }
                        if (ids.stream().anyMatch(s -> s.endsWith("bimm.lossTotal"))) {
                            return ids;
                        }
                    }
                }
            } catch (Exception e) {
                // not up yet
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ids;
            }
        }
        return ids;
    }

    private static JsonObject get(HttpClient http, int port, String path) throws Exception {
        return JsonParser.parseString(
                        http.send(
                                        HttpRequest.newBuilder(
                                                        URI.create(
                                                                "http://localhost:" + port + path))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body())
                .getAsJsonObject();
    }

    private static JsonObject progress(Path ckpt) throws Exception {
        return JsonParser.parseString(Files.readString(ckpt.resolve(TrainingSink.PROGRESS_FILE)))
                .getAsJsonObject();
    }

    private static int[] tile(BufferedImage img, int col, int y0, int size) {
        int x0 = ReconstructionPictures.GAP + col * (size + ReconstructionPictures.GAP);
        return img.getRGB(x0, y0, size, size, null, 0, size);
    }

    private static JsonObject manifest(Path dir) throws Exception {
        return JsonParser.parseString(Files.readString(dir.resolve(Checkpoints.MANIFEST)))
                .getAsJsonObject();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
