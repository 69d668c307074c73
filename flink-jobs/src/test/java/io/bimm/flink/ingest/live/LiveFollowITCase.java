package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm ingest --follow} of a real live stream on the loopback interface: MPEG-TS over TCP,
 * sent at real-time pace by JavaCV's FFmpeg, with a stall longer than the read timeout and a
 * restarted sender in the middle; the clips are read back from a real broker and decoded.
 */
class LiveFollowITCase {

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

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void followsAStreamThroughAStallAndASenderRestartWithoutGapsOrDuplicates(@TempDir Path tmp)
            throws Exception {
        int port = freePort();
        String url = "tcp://127.0.0.1:" + port;
        String listen = url + "?listen=1&listen_timeout=60000";
        int perSender = 10 * NumberedStream.FPS;
        CompletableFuture<Void> sender =
                CompletableFuture.runAsync(
                        () -> {
                            try {
                                try (NumberedStream.Sender a = new NumberedStream.Sender(listen)) {
                                    a.send(0, perSender);
                                    // Stalled: connected, silent for twice the read timeout.
                                    Thread.sleep(3000);
                                }
                                try (NumberedStream.Sender b = new NumberedStream.Sender(listen)) {
                                    b.send(perSender, perSender);
                                }
                            } catch (Exception e) {
                                throw new RuntimeException(e);
                            }
                        });
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        Ingestor.Settings settings =
                new Ingestor.Settings(
                        kafka.bootstrapServers(),
                        "live.clips",
                        "live.dead",
                        2.0,
                        null,
                        false,
                        Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                        Long.MAX_VALUE,
                        1,
                        Map.of());
        FollowSettings follow =
                new FollowSettings(
                        Duration.ofMillis(1500),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        tmp.resolve("state"),
                        Duration.ofSeconds(2),
                        null);
        LiveIngest live =
                new LiveIngest(
                        List.of(LiveSource.of(url)), List.of(), settings, follow, err, false);
        IngestReport report;
        try (Ingestor ingestor = new Ingestor(settings)) {
            ingestor.ensureTopics();
            CompletableFuture<IngestReport> running =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return live.run(ingestor);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
            sender.get(180, TimeUnit.SECONDS);
            // What Ctrl-C does: the segment under way is completed and sent.
            live.stop();
            report = running.get(60, TimeUnit.SECONDS);
        }
        String errText = errBytes.toString(StandardCharsets.UTF_8);

        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        List<VideoClip> clips = new ArrayList<>();
        TopicRecords.values(kafka.bootstrapServers(), "live.clips")
                .forEach(v -> clips.add(codec.decode(v)));
        clips.sort(Comparator.comparingLong(VideoClip::getStartMicros));
        LiveSource source = LiveSource.of(url);
        List<Integer> frames = new ArrayList<>();
        StringBuilder ranges = new StringBuilder();
        for (VideoClip c : clips) {
            byte[] d = new byte[c.getData().remaining()];
            c.getData().duplicate().get(d);
            List<Integer> n = NumberedStream.numbers(d);
            ranges.append(c.getStartMicros())
                    .append(' ')
                    .append(n.isEmpty() ? "-" : n.get(0) + ".." + n.get(n.size() - 1))
                    .append(" (")
                    .append(n.size())
                    .append(")\n");
        }
        for (VideoClip c : clips) {
            assertThat(c.getClipId()).isEqualTo(source.id() + "-" + c.getStartMicros());
            assertThat(c.getContainer()).isEqualTo("matroska");
            assertThat(c.getSourceUri()).isEqualTo(url);
            byte[] data = new byte[c.getData().remaining()];
            c.getData().duplicate().get(data);
            List<Integer> numbers = NumberedStream.numbers(data);
            assertThat(numbers)
                    .as("frames of clip %s: %s", c.getClipId(), errText)
                    .hasSize(c.getFrameCount());
            frames.addAll(numbers);
        }
        // Cut at the first keyframe 2 s or more after the start, except the segment that was under
        // way when a connection ended (the stall, and the stop).
        assertThat(clips.stream().filter(c -> c.getDurationMicros() < 2_000_000).count())
                .as(ranges.toString())
                .isLessThanOrEqualTo(2);
        // Every frame sent, by both senders, once and in order: no gap at the stall, none at the
        // reconnect, nothing twice.
        assertThat(frames)
                .as("clips:%n%s%s", ranges, errText)
                .isEqualTo(IntStream.range(0, 2 * perSender).boxed().toList());
        assertThat(report.summaryLine())
                .isEqualTo("ingested " + clips.size() + " clips from 1 files (0 rejected)");
        assertThat(errText)
                .contains("no packet for 1.5 s (read timeout); reconnecting")
                .contains("following 1 source: ");
        String last = errText.strip().lines().reduce((x, y) -> y).orElseThrow();
        assertThat(last).startsWith("following 1 source: " + clips.size() + " clips");
        assertThat(last).containsPattern("[1-9][0-9]* reconnects?,");
        assertThat(TopicRecords.values(kafka.bootstrapServers(), "live.dead")).isEmpty();
    }
}
