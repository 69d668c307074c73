package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.testutil.Clips;
import io.bimm.flink.testutil.DeadLetterTopic;
import io.bimm.flink.testutil.HostileCorpus;
import io.bimm.flink.testutil.HostileCorpus.Entry;
import io.bimm.flink.testutil.HostileCorpus.FileEntry;
import io.bimm.flink.testutil.Videos;
import io.bimm.model.Preset;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import io.bimm.schemas.OriginalBytesState;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
 * Issue 22's check: the whole hostile corpus ({@link HostileCorpus}) in one training run. The bad
 * records and the good ones go to a one-partition clips topic, the files through {@code ingest};
 * the dead-letter topic takes 1 MiB. Training reaches its max steps, every bad record and file is
 * exactly one dead letter with its stage and reason (large originals truncated or omitted, with
 * their size and SHA-256), and trained + pending + dead-lettered = produced.
 */
class HostileCorpusITCase {

    private static final int ONE_MIB = 1 << 20;
    private static final int BATCH = 2;

    @Test
    void theCorpusTrainsToMaxStepsAndEveryBadInputIsOneLetter(@TempDir Path tmp) throws Exception {
        List<Entry> records = HostileCorpus.records(tmp);
        List<FileEntry> files = HostileCorpus.files(tmp.resolve("tree"));
        assertTimeoutPreemptively(Duration.ofMinutes(5), () -> run(tmp, records, files));
    }

    private static void run(Path tmp, List<Entry> records, List<FileEntry> files) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            String bootstrap = kafka.bootstrapServers();
            // One partition: the records are read in the order produced (see the accounting).
            kafka.createTopics(1, List.of(Topics.CLIPS), Topics.DEFAULT_MAX_MESSAGE_BYTES);
            kafka.createTopics(1, List.of(Topics.DEADLETTER), ONE_MIB);

            Map<String, Long> offsets = new HashMap<>();
            for (Entry e : records) {
                offsets.put(e.name(), produce(bootstrap, e.key(), e.value()));
            }
            IngestReport report;
            try (Ingestor ingestor =
                    new Ingestor(
                            new Ingestor.Settings(
                                    bootstrap,
                                    Topics.CLIPS,
                                    Topics.DEADLETTER,
                                    4.0,
                                    null,
                                    false,
                                    Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                                    256L << 20,
                                    1,
                                    Map.of()))) {
                report =
                        ingestor.ingest(
                                InputFiles.expand(
                                        List.of(tmp.resolve("tree").toString(), "/dev/zero")),
                                System.err,
                                false);
            }
            List<FileEntry> badFiles = files.stream().filter(f -> !f.outcome().trained()).toList();
            assertThat(report.clips()).isPositive(); // box.mkv, segmented at its keyframes
            assertThat(report.rejections()).hasSize(badFiles.size());

            long goodRecords = records.stream().filter(e -> e.outcome().trained()).count();
            long good = goodRecords + report.clips();
            long produced = records.size() + report.clips();
            if (good % BATCH != 0) {
                // Whole batches only: the last step takes the last good clip.
                produce(
                        bootstrap,
                        "extra",
                        AvroCodec.of(VideoClip.class)
                                .encode(Clips.of("extra", Videos.bytes("cup.mp4"))));
                good++;
                produced++;
            }

            // The accounting is exact by construction: one partition, one reader, and the last
            // record produced is a good clip. Reaching max steps = good / BATCH means every good
            // clip was trained, so every record before the last one was read and decoded (in
            // order, by the one chained preprocessing instance) and nothing is left to be pending
            // or unread; each bad record is then exactly one letter.
            Path ckpt = tmp.resolve("ckpt");
            Configuration conf = HostileCorpus.prepSettings(new Configuration());
            conf.set(TrainJobOptions.BOOTSTRAP, bootstrap);
            conf.set(TrainJobOptions.PRESET, Preset.TINY);
            conf.set(TrainJobOptions.BATCH_SIZE, BATCH);
            // One sample per record, so samples count the good records (repeated sampling's
            // accounting: TrainJobITCase).
            conf.set(PrepConfigOptions.REPEATED_SAMPLING, 1);
            conf.set(TrainJobOptions.CHECKPOINT_DIR, ckpt.toString());
            conf.set(TrainJobOptions.CHECKPOINT_EVERY, 1);
            conf.set(TrainJobOptions.WARMUP_STEPS, 1L);
            conf.set(TrainJobOptions.FLINK_CHECKPOINT_INTERVAL, Duration.ofSeconds(3));
            conf.set(TrainJobOptions.DEVICE, "cpu");
            conf.set(TrainJobOptions.MAX_STEPS, good / BATCH);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int port = freePort();
            DeadLetterMetrics metrics = new DeadLetterMetrics(port);
            Thread poller = new Thread(metrics, "dead-letter-metrics");
            poller.setDaemon(true);
            poller.start();
            TrainRunner.Result result;
            try {
                result =
                        TrainRunner.run(
                                conf,
                                true,
                                null,
                                port,
                                new PrintStream(out, true, StandardCharsets.UTF_8));
            } finally {
                metrics.stop();
                poller.join();
            }
            assertThat(result.steps()).isEqualTo(good / BATCH);
            JsonObject progress =
                    JsonParser.parseString(
                                    Files.readString(ckpt.resolve(TrainingSink.PROGRESS_FILE)))
                            .getAsJsonObject();
            long trained = progress.get("samples_seen").getAsLong();
            long pending = progress.get("pending_samples").getAsLong();
            assertThat(trained).isEqualTo(good);
            assertThat(pending).isZero();

            List<Entry> badRecords = records.stream().filter(e -> !e.outcome().trained()).toList();
            List<DeadLetter> letters =
                    DeadLetterTopic.read(bootstrap, badRecords.size() + badFiles.size());
            Map<String, DeadLetter> byKey = new HashMap<>();
            Map<String, DeadLetter> byFile = new HashMap<>();
            for (DeadLetter d : letters) {
                if (d.getStage().equals(HostileCorpus.INGEST)) {
                    String name = Path.of(URI.create(d.getSourceUri())).getFileName().toString();
                    assertThat(byFile.put(name, d)).as("one letter for file " + name).isNull();
                } else {
                    String key = StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString();
                    assertThat(byKey.put(key, d)).as("one letter for record " + key).isNull();
                }
            }
            assertThat(byKey.keySet())
                    .containsExactlyInAnyOrderElementsOf(
                            badRecords.stream().map(Entry::key).toList());
            assertThat(byFile.keySet())
                    .containsExactlyInAnyOrderElementsOf(
                            badFiles.stream().map(FileEntry::name).toList());

            for (Entry e : badRecords) {
                DeadLetter d = byKey.get(e.key());
                assertThat(d.getStage()).as(e.name()).isEqualTo(e.outcome().stage());
                assertThat(d.getReasonCode()).as(e.name()).isEqualTo(e.outcome().reason().code());
                if (d.getStage().equals(HostileCorpus.DESERIALIZE)) {
                    assertThat(d.getOffset()).as(e.name()).isEqualTo(offsets.get(e.name()));
                } else {
                    assertThat(d.getMessage()).startsWith("Clip " + e.name() + ": ");
                }
                assertOriginal(e.name(), d, e.original());
            }
            for (FileEntry f : badFiles) {
                DeadLetter d = byFile.get(f.name());
                assertThat(d.getReasonCode()).as(f.name()).isEqualTo(f.outcome().reason().code());
                if (f.name().equals("list.m3u8")) {
                    // A regular file in the tree: read under the rules, so carried whole.
                    assertOriginal(f.name(), d, Files.readAllBytes(f.path()));
                } else {
                    // Links out of the tree, FIFOs, devices and oversize files are never read.
                    assertThat(d.getOriginalBytes().remaining()).as(f.name()).isZero();
                }
            }
            // The sparse file is neither read nor carried: omitted, with its size.
            DeadLetter huge = byFile.get("huge.mkv");
            assertThat(huge.getOriginalBytesState()).isEqualTo(OriginalBytesState.OMITTED);
            assertThat(huge.getOriginalSize()).isEqualTo(3L << 30);

            // The counters say the same (read over the REST API while the job ran; the bad
            // records come first, so the counts were final long before the job stopped).
            Map<String, Long> counted = metrics.values();
            assertThat(DeadLetterMetrics.sum(counted, ".deadLettersSent"))
                    .as("%s", counted)
                    .isEqualTo(badRecords.size());
            assertThat(DeadLetterMetrics.sum(counted, ".deadLettersFailed")).isZero();
            assertThat(DeadLetterMetrics.sum(counted, ".deadLettersTruncated"))
                    .isEqualTo(
                            badRecords.stream().filter(e -> e.original().length > ONE_MIB).count());
            for (io.bimm.schemas.DeadLetterReason r : io.bimm.schemas.DeadLetterReason.values()) {
                assertThat(
                                DeadLetterMetrics.sum(
                                        counted, ".deadLetters.reason." + r.code() + ".count"))
                        .as("%s letters counted", r.code())
                        .isEqualTo(
                                badRecords.stream().filter(e -> e.outcome().reason() == r).count());
            }

            // Every record produced to the clips topic is trained, pending or one dead letter.
            assertThat(trained + pending + byKey.size()).isEqualTo(produced);
            System.out.printf(
                    "hostile corpus: %d records produced (%d from ingest), %d trained, %d pending,"
                            + " %d record letters, %d file letters, %d steps%n",
                    produced,
                    report.clips(),
                    trained,
                    pending,
                    byKey.size(),
                    byFile.size(),
                    result.steps());
        }
    }

    /**
     * {@code d} describes {@code original}: its size and SHA-256, and all of it, or (over the
     * topic's 1 MiB) its first bytes.
     */
    private static void assertOriginal(String name, DeadLetter d, byte[] original) {
        assertThat(d.getOriginalSize()).as(name).isEqualTo((long) original.length);
        assertThat(d.getOriginalSha256())
                .as(name)
                .isEqualTo(DeadLetterFitter.sha256(ByteBuffer.wrap(original)));
        byte[] kept = new byte[d.getOriginalBytes().remaining()];
        d.getOriginalBytes().duplicate().get(kept);
        assertThat(kept).as(name).isEqualTo(Arrays.copyOf(original, kept.length));
        if (original.length > ONE_MIB - 4096) {
            assertThat(d.getOriginalBytesState()).as(name).isEqualTo(OriginalBytesState.TRUNCATED);
            assertThat(AvroCodec.of(DeadLetter.class).encode(d).length)
                    .as(name)
                    .isLessThanOrEqualTo(ONE_MIB);
        } else {
            assertThat(d.getOriginalBytesState()).as(name).isEqualTo(OriginalBytesState.COMPLETE);
            assertThat(kept).as(name).hasSize(original.length);
        }
    }

    private static long produce(String bootstrap, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> p =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap, "max.request.size", 16 << 20),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            return p.send(new ProducerRecord<>(Topics.CLIPS, key, value)).get().offset();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
