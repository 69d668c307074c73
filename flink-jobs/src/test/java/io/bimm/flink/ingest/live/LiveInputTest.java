package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HLS live playlist served over HTTP on the loopback interface: followed when its segments are
 * on HTTP, and unable to make FFmpeg read a local file when it names one (the HTTP family's
 * protocols do not include {@code file}).
 */
class LiveInputTest {

    @TempDir Path tmp;
    private HttpServer server;
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private String base;

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/",
                ex -> {
                    byte[] body = served.get(ex.getRequestURI().getPath());
                    if (body == null) {
                        ex.sendResponseHeaders(404, -1);
                    } else {
                        ex.sendResponseHeaders(200, body.length);
                        ex.getResponseBody().write(body);
                    }
                    ex.close();
                });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        Path ts = tmp.resolve("seg0.ts");
        try (NumberedStream.Sender s = new NumberedStream.Sender(ts.toString())) {
            s.send(0, NumberedStream.FPS);
        }
        served.put("/seg0.ts", Files.readAllBytes(ts));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static String playlist(String segment) {
        // A live playlist (no ENDLIST), one segment of one second.
        return "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
                + "#EXTINF:1.0,\n"
                + segment
                + "\n";
    }

    /** Video packets read until the input ends or 25 are read. */
    private static int videoPackets(LiveInput in) {
        AVPacket pkt = avcodec.av_packet_alloc();
        int n = 0;
        try {
            while (n < 25 && in.read(pkt) == null) {
                if (pkt.stream_index() == in.videoStream()) {
                    n++;
                }
                avcodec.av_packet_unref(pkt);
            }
        } finally {
            avcodec.av_packet_free(pkt);
        }
        return n;
    }

    @Test
    void anHlsPlaylistOverHttpIsReadWithItsSegments() throws Exception {
        served.put("/live.m3u8", playlist(base + "/seg0.ts").getBytes(StandardCharsets.UTF_8));
        LiveSource source = LiveSource.of(base + "/live.m3u8");
        try (LiveInput in = LiveInput.open(source, Duration.ofSeconds(3), 1 << 24, () -> false)) {
            assertThat(in.format()).isEqualTo("hls");
            assertThat(videoPackets(in)).isEqualTo(25);
        }
    }

    @Test
    void aPlaylistThatNamesALocalFileCannotMakeFfmpegReadIt() throws Exception {
        Path local = tmp.resolve("seg0.ts");
        served.put(
                "/live.m3u8",
                playlist("file://" + local.toAbsolutePath()).getBytes(StandardCharsets.UTF_8));
        LiveSource source = LiveSource.of(base + "/live.m3u8");
        int packets;
        try (LiveInput in = LiveInput.open(source, Duration.ofSeconds(2), 1 << 24, () -> false)) {
            packets = videoPackets(in);
        } catch (LiveSourceException refused) {
            packets = 0;
        }
        assertThat(packets).as("packets read from the local file").isZero();
    }
}
