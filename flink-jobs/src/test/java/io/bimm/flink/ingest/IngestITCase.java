package io.bimm.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.Cli.Run;
import io.bimm.flink.testutil.TopicRecords;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.ImageRecord;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bimm ingest} against a real embedded broker, read back and decoded with JavaCV. */
class IngestITCase {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = EmbeddedKafka.startEphemeral();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    static List<byte[]> readAll(String topic) {
        return TopicRecords.values(kafka.bootstrapServers(), topic);
    }

    @Test
    void ingestsTheSampleVideosAndTheirFramesComeBack(@TempDir Path tmp) throws Exception {
        String topic = "it.clips";
        String dlq = "it.dead";
        Run run =
                Cli.run(
                        "ingest",
                        "--bootstrap",
                        kafka.bootstrapServers(),
                        "--topic",
                        topic,
                        "--dead-letter-topic",
                        dlq,
                        "--segment-seconds",
                        "2",
                        "--label",
                        "sample",
                        TestVideos.dir().toString());
        assertThat(run.exit()).as(run.err()).isZero();

        List<VideoClip> clips = new ArrayList<>();
        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        readAll(topic).forEach(v -> clips.add(codec.decode(v)));
        assertThat(run.out().strip())
                .isEqualTo("ingested " + clips.size() + " clips from 4 files (0 rejected)");

        Map<String, List<VideoClip>> bySource =
                clips.stream().collect(Collectors.groupingBy(VideoClip::getSourceUri));
        assertThat(bySource).hasSize(4);
        for (String name : List.of("Megamind.avi", "Megamind_bugy.avi", "box.mp4", "cup.mp4")) {
            Path file = TestVideos.file(name);
            List<VideoClip> segs = bySource.get(file.toUri().toString());
            assertThat(segs).as(name).isNotNull();
            VideoFrames.Decoded source = VideoFrames.decode(file);
            int frames = 0;
            List<Integer> indices = new ArrayList<>();
            for (VideoClip c : segs) {
                byte[] data = new byte[c.getData().remaining()];
                c.getData().duplicate().get(data);
                VideoFrames.Decoded d = VideoFrames.decode(data);
                assertThat(d.width()).isEqualTo(source.width()).isEqualTo(c.getWidth());
                assertThat(d.height()).isEqualTo(source.height()).isEqualTo(c.getHeight());
                assertThat(d.frames()).isEqualTo(c.getFrameCount());
                assertThat(c.getLabel()).isEqualTo("sample");
                assertThat(c.getClipId()).endsWith("-" + c.getSegmentIndex());
                frames += d.frames();
                indices.add(c.getSegmentIndex());
            }
            assertThat(indices)
                    .containsExactlyInAnyOrderElementsOf(
                            java.util.stream.IntStream.range(0, segs.size()).boxed().toList());
            // mp4 edit lists may hide one leading frame of the whole file (see VideoSegmenterTest).
            assertThat(frames).as(name).isBetween(source.frames(), source.frames() + 1);
        }
        assertThat(readAll(dlq)).isEmpty();
    }

    @Test
    void feedSpreadsRepeatedClipsEvenlyOverThePartitions() throws Exception {
        String topic = "it.feed";
        kafka.createTopics(4, List.of(topic), Topics.DEFAULT_MAX_MESSAGE_BYTES);
        Run run =
                Cli.run(
                        "feed",
                        "--bootstrap",
                        kafka.bootstrapServers(),
                        "--topic",
                        topic,
                        "--count",
                        "41",
                        TestVideos.file("cup.mp4").toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().strip()).startsWith("fed 41 clips in ");
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts =
                    java.util.stream.IntStream.range(0, 4)
                            .mapToObj(p -> new TopicPartition(topic, p))
                            .toList();
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            // The first pass is ingest's (keyed by clip id: cup.mp4 makes a few clips); the
            // repeated clips go round-robin, so the partitions differ by at most the first pass.
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("ingested (\\d+) clips").matcher(run.err());
            assertThat(m.find()).as(run.err()).isTrue();
            int firstPass = Integer.parseInt(m.group(1));
            assertThat(firstPass).isBetween(1, 10);
            long min = end.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            long max = end.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            assertThat(end.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(41);
            assertThat(max - min).as(end.toString()).isLessThanOrEqualTo(firstPass + 1);
            assertThat(min).as(end.toString()).isGreaterThanOrEqualTo((41 - firstPass) / 4);
        }
    }

    @Test
    void badInputsAreReportedDeadLetteredAndSkipped(@TempDir Path tmp) throws Exception {
        String topic = "it.bad.clips";
        String dlq = "it.bad.dead";
        Path empty = Files.write(tmp.resolve("empty.mp4"), new byte[0]);
        byte[] noise = new byte[50_000];
        new Random(1).nextBytes(noise);
        Path random = Files.write(tmp.resolve("random.avi"), noise);
        byte[] box = Files.readAllBytes(TestVideos.file("box.mp4"));
        Path truncated =
                Files.write(tmp.resolve("truncated.mp4"), Arrays.copyOf(box, box.length / 2));
        Path jpeg = tmp.resolve("photo.jpg");
        javax.imageio.ImageIO.write(
                new java.awt.image.BufferedImage(32, 24, java.awt.image.BufferedImage.TYPE_INT_RGB),
                "jpg",
                jpeg.toFile());
        Path good = Files.copy(TestVideos.file("Megamind.avi"), tmp.resolve("good.avi"));

        Run run =
                Cli.run(
                        "ingest",
                        "--bootstrap",
                        kafka.bootstrapServers(),
                        "--topic",
                        topic,
                        "--dead-letter-topic",
                        dlq,
                        tmp.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        AvroCodec<DeadLetter> dlCodec = AvroCodec.of(DeadLetter.class);
        Map<String, DeadLetter> dead = new HashMap<>();
        readAll(dlq)
                .forEach(
                        v -> {
                            DeadLetter d = dlCodec.decode(v);
                            dead.put(
                                    Path.of(java.net.URI.create(d.getSourceUri()))
                                            .getFileName()
                                            .toString(),
                                    d);
                        });
        assertThat(dead.keySet()).contains("empty.mp4", "random.avi", "photo.jpg");
        assertThat(dead.get("empty.mp4").getReasonCode()).isEqualTo("not_video");
        assertThat(dead.get("random.avi").getReasonCode()).isEqualTo("not_video");
        assertThat(dead.get("photo.jpg").getReasonCode()).isEqualTo("not_video");
        assertThat(dead.get("photo.jpg").getMessage()).contains("still image");
        assertThat(dead.values()).allSatisfy(d -> assertThat(d.getStage()).isEqualTo("ingest"));
        // Nothing is lost: the dead letter carries the original file.
        assertThat(dead.get("random.avi").getOriginalBytes())
                .isEqualTo(java.nio.ByteBuffer.wrap(noise));
        for (String name : dead.keySet()) {
            assertThat(run.err()).contains("rejected " + tmp.resolve(name));
        }
        // The truncated mp4 lost its index (moov) with its second half: unreadable, or, if FFmpeg
        // still finds frames, every clip it yields decodes.
        List<VideoClip> clips = new ArrayList<>();
        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        readAll(topic).forEach(v -> clips.add(codec.decode(v)));
        for (VideoClip c : clips) {
            byte[] data = new byte[c.getData().remaining()];
            c.getData().duplicate().get(data);
            assertThat(VideoFrames.decode(data).frames()).isEqualTo(c.getFrameCount());
        }
        long goodFiles = clips.stream().map(VideoClip::getSourceUri).distinct().count();
        assertThat(clips)
                .anySatisfy(c -> assertThat(c.getSourceUri()).isEqualTo(good.toUri().toString()));
        assertThat(run.out().strip())
                .isEqualTo(
                        "ingested "
                                + clips.size()
                                + " clips from "
                                + goodFiles
                                + " files ("
                                + dead.size()
                                + " rejected)");
        assertThat(dead.size() + goodFiles).isEqualTo(5);
        assertThat(truncated).exists();
    }

    @Test
    void overSizeClipsAreRejectedAndNoInputAtAllExitsOne(@TempDir Path tmp) throws Exception {
        Run run =
                Cli.run(
                        "ingest",
                        "--bootstrap",
                        kafka.bootstrapServers(),
                        "--topic",
                        "it.small",
                        "--dead-letter-topic",
                        "it.small.dead",
                        "--max-clip-bytes",
                        "100000",
                        TestVideos.file("cup.mp4").toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out().strip()).isEqualTo("ingested 0 clips from 0 files (1 rejected)");
        assertThat(run.err()).contains("over_size").contains("--max-clip-bytes");
        List<byte[]> dead = readAll("it.small.dead");
        assertThat(dead).isNotEmpty();
        assertThat(AvroCodec.of(DeadLetter.class).decode(dead.get(0)).getReasonCode())
                .isEqualTo("over_size");
    }

    @Test
    void imagesGoToTheImagesTopic(@TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("a.png");
        javax.imageio.ImageIO.write(
                new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB),
                "png",
                png.toFile());
        Run run =
                Cli.run(
                        "ingest",
                        "--bootstrap",
                        kafka.bootstrapServers(),
                        "--images",
                        "--topic",
                        "it.images",
                        "--label",
                        "cat",
                        tmp.resolve("*.png").toString());
        assertThat(run.exit()).as(run.err()).isZero();
        List<byte[]> values = readAll("it.images");
        assertThat(values).hasSize(1);
        ImageRecord img = AvroCodec.of(ImageRecord.class).decode(values.get(0));
        assertThat(img.getFormat()).isEqualTo("png");
        assertThat(img.getWidth()).isEqualTo(40);
        assertThat(img.getHeight()).isEqualTo(30);
        assertThat(img.getLabel()).isEqualTo("cat");
        assertThat(img.getData()).isEqualTo(java.nio.ByteBuffer.wrap(Files.readAllBytes(png)));
    }

    @Test
    void usageErrorsExitTwoAndMissingFilesExitOne() {
        Run noArgs = Cli.run("ingest");
        assertThat(noArgs.exit()).isEqualTo(2);
        assertThat(noArgs.err()).contains("--bootstrap").doesNotContain("\tat ");
        Run missing =
                Cli.run("ingest", "--bootstrap", kafka.bootstrapServers(), "/no/such/file.mp4");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err().strip())
                .isEqualTo("bimm: No such file or directory: /no/such/file.mp4.");
        Run help = Cli.run("ingest", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--segment-seconds").contains("--kafka-property");
    }

    /**
     * A feeder told how many records a run will read produces those epochs at once, without waiting
     * for the consumer group to commit (a Flink source commits only at checkpoints); one told
     * nothing produces a single epoch while no group has read anything.
     */
    @Test
    void epochFeederProducesTheEpochsARunWillReadAtOnce() throws Exception {
        List<VideoClip> clips = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clips.add(io.bimm.flink.testutil.Clips.of("feed-" + i, new byte[] {(byte) i}));
        }
        for (long ahead : new long[] {0, 10}) {
            String topic = "it.feeder." + ahead;
            kafka.createTopics(2, List.of(topic), Topics.DEFAULT_MAX_MESSAGE_BYTES);
            try (EpochFeeder feeder =
                    new EpochFeeder(clips, kafka.bootstrapServers(), topic, "nobody", 1)
                            .ahead(ahead)
                            .start()) {
                long expected = ahead == 0 ? 2 : 4; // epochs, counting the ingested first one
                long deadline = System.currentTimeMillis() + 30_000;
                while (feeder.epochs() < expected && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(3000); // the lag rule's turn: it must add nothing
                assertThat(feeder.epochs()).as("epochs with ahead " + ahead).isEqualTo(expected);
            }
            AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
            Map<String, Long> draws =
                    readAll(topic).stream()
                            .map(v -> codec.decode(v).getMetadata().get(EpochFeeder.DRAW_KEY))
                            .collect(Collectors.groupingBy(d -> d, Collectors.counting()));
            assertThat(draws)
                    .as("draw -> records, ahead " + ahead)
                    .isEqualTo(ahead == 0 ? Map.of("1", 3L) : Map.of("1", 3L, "2", 3L, "3", 3L));
        }
    }
}
