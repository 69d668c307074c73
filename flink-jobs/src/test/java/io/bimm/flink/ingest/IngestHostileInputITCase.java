package io.bimm.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.Cli.Run;
import io.bimm.flink.testutil.HostileFiles;
import io.bimm.flink.testutil.TopicRecords;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.VideoClip;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm ingest} on hostile input against a real broker: FIFOs, devices, symlinks out of the
 * tree, huge sparse files, and videos the job's limits ({@code -D prep.max-*}) refuse, each
 * dead-lettered at ingest with its reason while the rest go on.
 */
class IngestHostileInputITCase {

    private static final Duration BOUND = Duration.ofSeconds(120);

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

    private static Run ingest(String topic, String... args) {
        List<String> all =
                new ArrayList<>(
                        List.of(
                                "ingest",
                                "--bootstrap",
                                kafka.bootstrapServers(),
                                "--topic",
                                topic,
                                "--dead-letter-topic",
                                topic + ".dead",
                                "--segment-seconds",
                                "2"));
        all.addAll(List.of(args));
        return assertTimeoutPreemptively(BOUND, () -> Cli.run(all.toArray(String[]::new)));
    }

    /** Dead letters by file name. */
    private static Map<String, DeadLetter> deadLetters(String topic) {
        AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
        Map<String, DeadLetter> dead = new HashMap<>();
        for (byte[] v : TopicRecords.values(kafka.bootstrapServers(), topic + ".dead")) {
            DeadLetter d = codec.decode(v);
            dead.put(Path.of(URI.create(d.getSourceUri())).getFileName().toString(), d);
        }
        return dead;
    }

    private static List<VideoClip> clips(String topic) {
        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        return TopicRecords.values(kafka.bootstrapServers(), topic).stream()
                .map(codec::decode)
                .toList();
    }

    @Test
    void symlinksOutOfTheTreeAndFifosAreRejectedAndNeverCarried(@TempDir Path tmp)
            throws Exception {
        Path secret = Files.writeString(tmp.resolve("passwd"), "root:x:0:0:secret");
        Path tree = Files.createDirectory(tmp.resolve("videos"));
        Path good = Files.copy(TestVideos.file("Megamind.avi"), tree.resolve("good.avi"));
        Files.createSymbolicLink(tree.resolve("passwd.avi"), secret);
        Files.createSymbolicLink(tree.resolve("again.avi"), good);
        HostileFiles.fifo(tree.resolve("pipe.mp4"));

        Run run = ingest("it.hostile", tree.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err())
                .contains(
                        "rejected "
                                + tree.resolve("passwd.avi")
                                + ": unreadable: symlink leaves the input tree")
                .contains("rejected " + tree.resolve("pipe.mp4") + ": unreadable: it is a FIFO");
        Map<String, DeadLetter> dead = deadLetters("it.hostile");
        assertThat(dead.keySet()).containsExactlyInAnyOrder("passwd.avi", "pipe.mp4");
        assertThat(dead.values())
                .allSatisfy(
                        d -> {
                            assertThat(d.getReasonCode()).isEqualTo("unreadable");
                            assertThat(d.getOriginalBytes().remaining()).isZero();
                        });
        // good.avi and the link to it inside the tree: two files, the same clips twice.
        List<VideoClip> clips = clips("it.hostile");
        assertThat(clips).isNotEmpty();
        assertThat(run.out().strip())
                .isEqualTo("ingested " + clips.size() + " clips from 2 files (2 rejected)");
    }

    @Test
    void aFifoDevZeroOrHugeSparseFileNamedDirectlyIsRejectedAtOnce(@TempDir Path tmp)
            throws Exception {
        Path fifo = HostileFiles.fifo(tmp.resolve("named.fifo"));
        Path sparse = tmp.resolve("huge.mkv");
        // under the default --max-file-bytes, over a Java array
        HostileFiles.sparse(sparse, 3L << 30);
        Run run =
                ingest(
                        "it.named",
                        fifo.toString(),
                        "/dev/zero",
                        sparse.toString(),
                        TestVideos.file("cup.mp4").toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err())
                .contains("rejected " + fifo + ": unreadable: it is a FIFO")
                .contains("rejected /dev/zero: unreadable: it is a character device")
                .contains("rejected " + sparse + ": over_size: it is 3221225472 bytes");
        Map<String, DeadLetter> dead = deadLetters("it.named");
        assertThat(dead.keySet()).containsExactlyInAnyOrder("named.fifo", "zero", "huge.mkv");
        assertThat(dead.values())
                .allSatisfy(d -> assertThat(d.getOriginalBytes().remaining()).isZero());
        assertThat(run.out().strip()).endsWith(" clips from 1 files (3 rejected)");
    }

    @Test
    void framesLargerThanTheJobTakesAreDeadLetteredAtIngest() {
        Run run =
                ingest("it.wide", "-D", "prep.max-width=64", TestVideos.file("cup.mp4").toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("limit_exceeded").contains("prep.max-width");
        assertThat(run.out().strip()).isEqualTo("ingested 0 clips from 0 files (1 rejected)");
        Map<String, DeadLetter> dead = deadLetters("it.wide");
        assertThat(dead.get("cup.mp4").getReasonCode()).isEqualTo("limit_exceeded");
        assertThat(clips("it.wide")).isEmpty();
    }

    @Test
    void segmentsLongerThanTheJobTakesAreDeadLetteredAtIngest() {
        Run run =
                ingest(
                        "it.long",
                        "-D",
                        "prep.max-frames=10",
                        "-D",
                        "prep.max-decode-time=30s",
                        TestVideos.file("Megamind.avi").toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("limit_exceeded").contains("prep.max-frames");
        assertThat(run.out().strip()).isEqualTo("ingested 0 clips from 0 files (1 rejected)");
        assertThat(deadLetters("it.long").get("Megamind.avi").getReasonCode())
                .isEqualTo("limit_exceeded");
        assertThat(clips("it.long")).isEmpty();
    }

    @Test
    void imagesLargerThanTheLimitsAreDeadLetteredAtIngest(@TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("wide.png");
        javax.imageio.ImageIO.write(
                new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB),
                "png",
                png.toFile());
        Run run = ingest("it.images.wide", "--images", "-D", "prep.max-width=20", png.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("limit_exceeded: its frames are 40x30, over the limit 20x");
        assertThat(deadLetters("it.images.wide").get("wide.png").getReasonCode())
                .isEqualTo("limit_exceeded");
    }

    @Test
    void limitsThatAreNotLimitsAreUsageErrors() {
        Run run = ingest("it.usage", "-D", "prep.size=32", TestVideos.file("cup.mp4").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("prep.size is not a limit").contains("prep.max-bytes");
        Run bad = ingest("it.usage", "-D", "prep.max-width=wide", "x.mp4");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("prep.max-width");
    }
}
