package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.testutil.CupClips;
import io.bimm.flink.testutil.DeadLetterTopic;
import io.bimm.flink.testutil.TestImages;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.ImageRecord;
import io.bimm.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-stage recipe on a real broker (docs/images.md): images ingested with {@code --images} and
 * clips, {@code --stage ventral} on the images (a corrupt and a huge-dimension image among them,
 * each one dead letter), then {@code --stage dorsal --init-from} the ventral checkpoint on the
 * clips, and {@code --stage joint --init-from} it with {@code train.image-share=0.5} on both
 * topics, restarted from its savepoint (both topics resume at their offsets); {@code progress.json}
 * counts every sample per topic, once.
 */
class ImageTrainingITCase {

    private static final int IMAGES = 6;
    private static final int CLIPS = 4;

    @Test
    void ventralTrainsOnImagesThenDorsalStartsFromIt(@TempDir Path tmp) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            kafka.createDefaultTopics(1);
            String bootstrap = kafka.bootstrapServers();
            Configuration conf = baseConf(bootstrap, tmp.resolve("ventral"));
            conf.set(TrainJobOptions.STAGE, Stage.VENTRAL);

            // Share 1 needs images: a clear refusal while the topic is empty.
            Configuration needs = new Configuration(conf);
            needs.set(ImageOptions.IMAGE_SHARE, 1.0);
            assertThatThrownBy(() -> run(needs, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'bimm.images' is empty")
                    .hasMessageContaining("bimm ingest --images");

            // First in the topic, so the first run reads them.
            produceHostileImages(bootstrap);
            IngestReport ingested = ingestImages(bootstrap, tmp.resolve("photos"));
            assertThat(ingested.clips()).isEqualTo(IMAGES);
            CupClips.produce(bootstrap, "cup", CLIPS);

            int port = freePort();
            DeadLetterMetrics metrics = new DeadLetterMetrics(port);
            Thread poller = new Thread(metrics, "dead-letter-metrics");
            poller.start();
            conf.set(TrainJobOptions.MAX_STEPS, 3L);
            TrainRunner.Result v1;
            try {
                v1 = TrainRunner.run(conf, true, null, port, quiet());
            } finally {
                metrics.stop();
                poller.join();
            }
            assertThat(v1.steps()).isEqualTo(3);
            JsonObject p1 = progress(tmp.resolve("ventral"));
            assertThat(trained(p1, Topics.IMAGES)).isEqualTo(IMAGES);
            assertThat(pending(p1, Topics.IMAGES)).isZero();
            assertThat(trained(p1, Topics.CLIPS) + pending(p1, Topics.CLIPS)).isZero();
            assertThat(p1.get("samples_seen").getAsLong()).isEqualTo(IMAGES);
            // The job's counters say what the letters say.
            Map<String, Long> counted = metrics.values();
            assertThat(DeadLetterMetrics.sum(counted, ".deadLetters.reason.limit_exceeded.count"))
                    .isEqualTo(1);
            assertThat(DeadLetterMetrics.sum(counted, ".deadLetters.reason.decode_error.count"))
                    .isEqualTo(1);
            // The reconstruction pictures show an image (its sample has no dorsal part).
            assertThat(
                            tmp.resolve("ventral")
                                    .resolve("step-000000000003")
                                    .resolve(ReconstructionPictures.VENTRAL))
                    .isRegularFile();
            // (The images topic's resume after a restart is checked by the joint run below,
            // which reads it with the clips topic.)

            // Each hostile image is exactly one dead letter, with its reason.
            Map<String, String> reasons = new HashMap<>();
            for (DeadLetter d : DeadLetterTopic.read(bootstrap, 2)) {
                String key = StandardCharsets.UTF_8.decode(d.getKey()).toString();
                assertThat(reasons.put(key, d.getReasonCode())).as("letters of " + key).isNull();
                assertThat(d.getTopic()).isEqualTo(Topics.IMAGES);
                assertThat(d.getStage()).isEqualTo("decode");
            }
            assertThat(reasons)
                    .containsOnly(
                            Map.entry("huge", "limit_exceeded"),
                            Map.entry("corrupt", "decode_error"));

            // Stage two: dorsal from the ventral checkpoint, on the clips only.
            Configuration dorsal = baseConf(bootstrap, tmp.resolve("dorsal"));
            dorsal.set(TrainJobOptions.STAGE, Stage.DORSAL);
            dorsal.set(TrainJobOptions.INIT_FROM, v1.latestCheckpoint().toString());
            dorsal.set(TrainJobOptions.MAX_STEPS, 1L);
            assertThat(run(dorsal, true).steps()).isEqualTo(1);
            JsonObject q1 = progress(tmp.resolve("dorsal"));
            assertThat(trained(q1, Topics.CLIPS)).isEqualTo(2);
            assertThat(trained(q1, Topics.IMAGES) + pending(q1, Topics.IMAGES)).isZero();

            // The paper's second stage: joint from the ventral checkpoint, its ventral branch
            // half on images (train.image-share 0.5: a batch of 2 clips, 1 image in place of the
            // first clip's ventral frame); restarted, both topics resume at their offsets. (The
            // clips topic's resume is checked here, for both topics at once.)
            Configuration joint = baseConf(bootstrap, tmp.resolve("joint"));
            joint.set(TrainJobOptions.STAGE, Stage.JOINT);
            joint.set(ImageOptions.IMAGE_SHARE, 0.5);
            joint.set(TrainJobOptions.INIT_FROM, v1.latestCheckpoint().toString());
            joint.set(TrainJobOptions.MAX_STEPS, 1L);
            assertThat(run(joint, true).steps()).isEqualTo(1);
            JsonObject j1 = progress(tmp.resolve("joint"));
            assertThat(trained(j1, Topics.CLIPS)).isEqualTo(2);
            assertThat(trained(j1, Topics.IMAGES)).isEqualTo(1);
            assertThat(j1.get("samples_seen").getAsLong()).isEqualTo(2);

            joint.set(TrainJobOptions.MAX_STEPS, 2L);
            assertThat(run(joint, false).steps()).isEqualTo(2);
            JsonObject j2 = progress(tmp.resolve("joint"));
            assertThat(trained(j2, Topics.CLIPS)).isEqualTo(CLIPS);
            assertThat(pending(j2, Topics.CLIPS)).isZero();
            assertThat(trained(j2, Topics.IMAGES)).isEqualTo(2);
            // the other images wait for clips; a re-read image would make more than six
            assertThat(trained(j2, Topics.IMAGES) + pending(j2, Topics.IMAGES))
                    .isBetween(2L, (long) IMAGES);
        }
    }

    private static Configuration baseConf(String bootstrap, Path ckpt) {
        Configuration conf = new Configuration();
        conf.set(TrainJobOptions.BOOTSTRAP, bootstrap);
        conf.set(TrainJobOptions.PRESET, Preset.TINY);
        conf.set(TrainJobOptions.BATCH_SIZE, 2);
        conf.set(TrainJobOptions.CHECKPOINT_DIR, ckpt.toString());
        conf.set(TrainJobOptions.CHECKPOINT_EVERY, 100);
        conf.set(TrainJobOptions.WARMUP_STEPS, 1L);
        conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(30));
        conf.set(TrainJobOptions.DEVICE, "cpu");
        conf.set(TrainJobOptions.GROUP_ID, "bimm-" + ckpt.getFileName());
        // one sample per clip record, so the clip counts below are samples too (repeated sampling
        // has its own tests; an image record is one sample whatever R is)
        conf.set(PrepConfigOptions.REPEATED_SAMPLING, 1);
        return conf;
    }

    private static TrainRunner.Result run(Configuration conf, boolean fresh) throws Exception {
        return TrainRunner.run(conf, fresh, null, freePort(), quiet());
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** Six good photos through {@code bimm ingest --images}'s path. */
    private static IngestReport ingestImages(String bootstrap, Path dir) throws Exception {
        Files.createDirectories(dir);
        for (int i = 0; i < IMAGES; i++) {
            Files.write(dir.resolve("photo-" + i + ".png"), TestImages.patternPng(160, 120, i));
        }
        Ingestor.Settings settings =
                new Ingestor.Settings(
                        bootstrap,
                        Topics.IMAGES,
                        Topics.DEADLETTER,
                        4.0,
                        null,
                        true,
                        Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                        Long.MAX_VALUE,
                        1,
                        Map.of());
        try (Ingestor ingestor = new Ingestor(settings)) {
            return ingestor.ingest(InputFiles.expand(List.of(dir.toString())), System.err, false);
        }
    }

    /**
     * Image records ingest would have refused, as another producer may write them: a PNG whose
     * header declares 100000 x 100000 pixels, and a PNG cut after its header.
     */
    private static void produceHostileImages(String bootstrap) throws Exception {
        AvroCodec<ImageRecord> codec = AvroCodec.of(ImageRecord.class);
        try (KafkaProducer<String, byte[]> p =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            for (var e :
                    Map.of(
                                    "huge", TestImages.hugePngHeader(100_000, 100_000),
                                    "corrupt", TestImages.truncatedPng())
                            .entrySet()) {
                ImageRecord r =
                        ImageRecord.newBuilder()
                                .setId(e.getKey())
                                .setSourceUri("file:///" + e.getKey() + ".png")
                                .setFormat("png")
                                .setData(ByteBuffer.wrap(e.getValue()))
                                .setWidth(64)
                                .setHeight(64)
                                .setIngestTimestamp(Instant.now())
                                .build();
                p.send(new ProducerRecord<>(Topics.IMAGES, e.getKey(), codec.encode(r))).get();
            }
        }
    }

    private static long trained(JsonObject progress, String topic) {
        return progress.getAsJsonObject("topics")
                .getAsJsonObject(topic)
                .get("samples_trained")
                .getAsLong();
    }

    private static long pending(JsonObject progress, String topic) {
        return progress.getAsJsonObject("topics")
                .getAsJsonObject(topic)
                .get("pending_samples")
                .getAsLong();
    }

    private static JsonObject progress(Path ckpt) throws Exception {
        return JsonParser.parseString(Files.readString(ckpt.resolve(TrainingSink.PROGRESS_FILE)))
                .getAsJsonObject();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
