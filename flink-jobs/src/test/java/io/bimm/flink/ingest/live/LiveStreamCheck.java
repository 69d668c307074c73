package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.testutil.TopicRecords;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
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

/**
 * Test harness for one live protocol on the loopback interface: a sender (JavaCV's FFmpeg, real
 * time) streams numbered frames, goes silent for twice the follower's read timeout, closes, and a
 * new sender continues the numbering; a follower ({@link LiveIngest}) follows the URL meanwhile.
 * Then the clips are read back from Kafka and decoded frame by frame: every frame once, in order of
 * the clips' start times, the reconnect reported and counted.
 */
final class LiveStreamCheck {

    /** Frames each of the two senders sends (4 s). */
    static final int PER_SENDER = 4 * NumberedStream.FPS;

    private static final Duration READ_TIMEOUT = Duration.ofMillis(1500);
    private static final long STALL_MILLIS = 3000;

    /** Who waits for whom. */
    enum Order {
        /** The sender listens (TCP, RTMP, SRT listener): the follower connects, retrying. */
        SENDER_LISTENS,
        /**
         * The follower binds a UDP port (UDP, RTP) and the sender pushes datagrams: the first
         * sender starts at once, so the follower may join mid-stream (a gap at the start, up to a
         * keyframe); the second waits until the follower is bound again.
         */
        FOLLOWER_BINDS
    }

    /**
     * One protocol's streams.
     *
     * @param followUrl what the operator gives {@code --follow}
     * @param sendUrl where the senders write
     * @param wire the senders' muxer and codec
     * @param senderOptions FFmpeg options of the senders' protocol
     * @param order who waits for whom
     * @param port the UDP port the follower binds ({@link Order#FOLLOWER_BINDS})
     * @param maxMissing frames that may be missing from where the follower joined (0: none)
     */
    record Protocol(
            String followUrl,
            String sendUrl,
            NumberedStream.Wire wire,
            Map<String, String> senderOptions,
            Order order,
            int port,
            int maxMissing) {}

    private LiveStreamCheck() {}

    /** A free TCP port on the loopback interface. */
    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A free even UDP port whose successor is free too (RTP and its RTCP). */
    static int freeUdpPortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort() & ~1;
            }
            if (port > 1024 && StreamSender.udpFree(port) && StreamSender.udpFree(port + 1)) {
                return port;
            }
        }
        throw new IOException("no free UDP port pair");
    }

    /** Runs the senders and the follower for {@code p}, then checks the clips in {@code topic}. */
    static void check(String bootstrap, String topic, Protocol p, Path tmp) throws Exception {
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        Process sender =
                StreamSender.start(
                        p.sendUrl(),
                        p.wire(),
                        p.senderOptions(),
                        PER_SENDER,
                        STALL_MILLIS,
                        p.order() == Order.FOLLOWER_BINDS ? p.port() : 0);
        CompletableFuture<Void> senderLog =
                CompletableFuture.runAsync(
                        () -> {
                            try {
                                sender.getInputStream().transferTo(err);
                            } catch (IOException e) {
                                // the process is gone
                            }
                        });
        Ingestor.Settings settings =
                new Ingestor.Settings(
                        bootstrap,
                        topic,
                        topic + ".dead",
                        2.0,
                        null,
                        false,
                        Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536,
                        Long.MAX_VALUE,
                        1,
                        Map.of());
        FollowSettings follow =
                new FollowSettings(
                        READ_TIMEOUT,
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        tmp.resolve("state"),
                        Duration.ofSeconds(2),
                        null);
        LiveSource source = LiveSource.of(p.followUrl());
        LiveIngest live = new LiveIngest(List.of(source), List.of(), settings, follow, err, false);
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
            try {
                if (!sender.waitFor(60, TimeUnit.SECONDS)) {
                    throw new AssertionError(
                            "the senders did not finish: "
                                    + errBytes.toString(StandardCharsets.UTF_8)
                                    + threads());
                }
                senderLog.get(10, TimeUnit.SECONDS);
                assertThat(sender.exitValue())
                        .as("senders: %s", errBytes.toString(StandardCharsets.UTF_8))
                        .isZero();
            } finally {
                sender.destroyForcibly();
                // What Ctrl-C does: the segment under way is completed and sent.
                live.stop();
                report = running.get(60, TimeUnit.SECONDS);
            }
        }
        String errText = errBytes.toString(StandardCharsets.UTF_8);
        List<VideoClip> clips = clips(bootstrap, topic);
        StringBuilder ranges = new StringBuilder();
        List<Integer> frames = new ArrayList<>();
        for (VideoClip c : clips) {
            List<Integer> numbers = NumberedStream.numbers(bytes(c));
            ranges.append(c.getStartMicros())
                    .append(' ')
                    .append(
                            numbers.isEmpty()
                                    ? "-"
                                    : numbers.get(0) + ".." + numbers.get(numbers.size() - 1))
                    .append(" (")
                    .append(numbers.size())
                    .append(")\n");
            assertThat(c.getClipId()).isEqualTo(source.id() + "-" + c.getStartMicros());
            assertThat(c.getContainer()).isEqualTo("matroska");
            assertThat(c.getSourceUri()).isEqualTo(source.display());
            assertThat(numbers)
                    .as("frames of clip %s: %s", c.getClipId(), errText)
                    .hasSize(c.getFrameCount());
            frames.addAll(numbers);
        }
        // Cut at the first keyframe 2 s or more after the start, except the segments under way
        // when a connection ended (the stall, and the stop).
        assertThat(clips.stream().filter(c -> c.getDurationMicros() < 2_000_000).count())
                .as(ranges.toString())
                .isLessThanOrEqualTo(2);
        // Every frame from where the follower joined, by both senders, once and in order: no gap
        // at the stall, none at the reconnect, nothing twice. A follower that joins a pushed
        // stream late starts at a keyframe.
        int first = frames.isEmpty() ? -1 : frames.get(0);
        int expectedFirst = p.order() == Order.SENDER_LISTENS ? 0 : first;
        assertThat(first % NumberedStream.GOP).as("first frame %d", first).isZero();
        assertThat(first).as("first frame").isLessThan(PER_SENDER);
        if (p.maxMissing() == 0) {
            assertThat(frames)
                    .as("clips:%n%s%s", ranges, errText)
                    .isEqualTo(IntStream.range(expectedFirst, 2 * PER_SENDER).boxed().toList());
        } else {
            // Never twice, never out of order; a bounded number lost at the stream's edges.
            assertThat(frames).as("clips:%n%s%s", ranges, errText).isSorted();
            assertThat(frames).doesNotHaveDuplicates();
            assertThat(2 * PER_SENDER - expectedFirst - frames.size())
                    .as("frames missing; clips:%n%s%s", ranges, errText)
                    .isLessThanOrEqualTo(p.maxMissing());
        }
        assertThat(report.summaryLine())
                .isEqualTo("ingested " + clips.size() + " clips from 1 files (0 rejected)");
        assertThat(errText)
                .containsPattern(
                        "(no packet for 1.5 s \\(read timeout\\)|the stream ended|read error"
                                + " \\(.*\\)); reconnecting")
                .contains("following 1 source: ");
        String last = errText.strip().lines().reduce((x, y) -> y).orElseThrow();
        assertThat(last).startsWith("following 1 source: " + clips.size() + " clips");
        assertThat(last).containsPattern("[1-9][0-9]* reconnects?,");
        assertThat(TopicRecords.values(bootstrap, topic + ".dead")).isEmpty();
    }

    private static String threads() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces()
                .forEach(
                        (t, stack) -> {
                            b.append('\n').append(t.getName()).append(':');
                            for (int i = 0; i < Math.min(12, stack.length); i++) {
                                b.append("\n    ").append(stack[i]);
                            }
                        });
        return b.toString();
    }

    /** The clips of {@code topic}, by start time. */
    static List<VideoClip> clips(String bootstrap, String topic) {
        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        List<VideoClip> clips = new ArrayList<>();
        TopicRecords.values(bootstrap, topic).forEach(v -> clips.add(codec.decode(v)));
        clips.sort(Comparator.comparingLong(VideoClip::getStartMicros));
        return clips;
    }

    static byte[] bytes(VideoClip c) {
        byte[] d = new byte[c.getData().remaining()];
        c.getData().duplicate().get(d);
        return d;
    }
}
