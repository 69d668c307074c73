package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.TestVideos;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.TopicRecords;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm ingest --follow} against a real broker (the protocols are in {@link
 * LiveProtocolsITCase}). A file still being recorded, with ingest stopped and started again in the
 * middle of a GOP: every frame once. A folder that files are written into slowly, as a recorder
 * writes them: each file is ingested once, complete; a copy of one is not ingested again; a
 * playlist is a file refused like any other; a restart ingests nothing again.
 */
class FollowITCase {

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

    private LiveIngest followFile(Path file, Path state, String topic, PrintStream err) {
        Ingestor.Settings settings = fileSettings(topic);
        FollowSettings follow =
                new FollowSettings(
                        Duration.ofMillis(1500),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        state,
                        Duration.ofSeconds(2),
                        null);
        return new LiveIngest(
                List.of(LiveSource.of("file:" + file)), List.of(), settings, follow, err, false);
    }

    private static Ingestor.Settings fileSettings(String topic) {
        return new Ingestor.Settings(
                kafka.bootstrapServers(),
                topic,
                topic + ".dead",
                1.0,
                null,
                false,
                Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                Long.MAX_VALUE,
                1,
                Map.of());
    }

    private static CompletableFuture<IngestReport> start(LiveIngest live, Ingestor ingestor) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return live.run(ingestor);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /** Writes {@code bytes} to {@code file} in ten pieces, 200 ms apart. */
    private static void writeSlowly(Path file, byte[] bytes) throws Exception {
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            int piece = bytes.length / 10 + 1;
            for (int off = 0; off < bytes.length; off += piece) {
                out.write(bytes, off, Math.min(piece, bytes.length - off));
                out.flush();
                Thread.sleep(200);
            }
        }
    }

    private static String contentId(byte[] bytes) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
        return HexFormat.of().formatHex(d, 0, 16);
    }

    private Cli.Run follow(Path in, Path state, int seconds) {
        return Cli.run(
                "ingest",
                "--bootstrap",
                kafka.bootstrapServers(),
                "--topic",
                "folder.clips",
                "--dead-letter-topic",
                "folder.dead",
                "--follow",
                in.toString(),
                "--settle-seconds",
                "2",
                "--status-seconds",
                "3",
                "--state-dir",
                state.toString(),
                "--stop-after-seconds",
                Integer.toString(seconds));
    }

    @Test
    void ingestsEachCompleteFileOnceAndNothingAgainAfterARestart(@TempDir Path tmp)
            throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Path state = tmp.resolve("state");
        byte[] cup = Files.readAllBytes(TestVideos.file("cup.mp4"));
        byte[] megamind = Files.readAllBytes(TestVideos.file("Megamind.avi"));
        String cupId = contentId(cup);
        String megamindId = contentId(megamind);
        CompletableFuture<Cli.Run> first =
                CompletableFuture.supplyAsync(() -> follow(in, state, 14));
        Thread.sleep(1000);
        writeSlowly(in.resolve("cam1/cup.mp4"), cup);
        writeSlowly(in.resolve("Megamind.avi"), megamind);
        Files.createDirectories(in.resolve("cam2"));
        Files.write(in.resolve("cam2/again.mp4"), cup, java.nio.file.StandardOpenOption.CREATE_NEW);
        Files.writeString(
                in.resolve("list.m3u8"),
                "#EXTM3U\n#EXTINF:4,\nfile://" + in.resolve("cam1/cup.mp4") + "\n#EXT-X-ENDLIST\n");
        Cli.Run run = first.get(120, TimeUnit.SECONDS);
        assertThat(run.exit()).as(run.err()).isZero();

        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        List<VideoClip> clips =
                TopicRecords.values(kafka.bootstrapServers(), "folder.clips").stream()
                        .map(codec::decode)
                        .toList();
        Map<String, List<String>> idsBySource =
                clips.stream()
                        .collect(
                                Collectors.groupingBy(
                                        VideoClip::getSourceUri,
                                        Collectors.mapping(
                                                VideoClip::getClipId, Collectors.toList())));
        // Two files, each once and complete: its ids are those of its whole content.
        assertThat(idsBySource)
                .containsOnlyKeys(
                        in.resolve("cam1/cup.mp4").toUri().toString(),
                        in.resolve("Megamind.avi").toUri().toString());
        assertThat(idsBySource.get(in.resolve("cam1/cup.mp4").toUri().toString()))
                .allMatch(id -> id.startsWith(cupId + "-"))
                .doesNotHaveDuplicates();
        assertThat(idsBySource.get(in.resolve("Megamind.avi").toUri().toString()))
                .allMatch(id -> id.startsWith(megamindId + "-"))
                .doesNotHaveDuplicates();
        assertThat(run.out().strip())
                .isEqualTo("ingested " + clips.size() + " clips from 2 files (1 rejected)");
        assertThat(run.err()).contains("following 0 sources, 1 folder: ");

        // The playlist is a file like any other, refused; never followed.
        AvroCodec<DeadLetter> letters = AvroCodec.of(DeadLetter.class);
        List<DeadLetter> dead =
                TopicRecords.values(kafka.bootstrapServers(), "folder.dead").stream()
                        .map(letters::decode)
                        .toList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).getSourceUri()).endsWith("list.m3u8");
        assertThat(dead.get(0).getReasonCode()).isEqualTo("not_video");

        // A restart over the same folder and state: nothing again.
        Cli.Run again = follow(in, state, 4);
        assertThat(again.out().strip())
                .as(again.err())
                .isEqualTo("ingested 0 clips from 0 files (0 rejected)");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(TopicRecords.values(kafka.bootstrapServers(), "folder.clips"))
                .hasSize(clips.size());
        assertThat(TopicRecords.values(kafka.bootstrapServers(), "folder.dead")).hasSize(1);
        assertThat(
                        Files.readAllLines(
                                state.resolve(IngestedLedger.FILE_NAME), StandardCharsets.UTF_8))
                .hasSizeGreaterThanOrEqualTo(3);
    }
}
