package io.bimm.flink.ingest.live;

import io.bimm.flink.ingest.live.LiveStreamCheck.Order;
import io.bimm.flink.ingest.live.LiveStreamCheck.Protocol;
import io.bimm.flink.ingest.live.NumberedStream.Wire;
import io.bimm.flink.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm ingest --follow} against a real broker, one test per protocol, each a live stream on
 * the loopback interface produced by JavaCV's FFmpeg at real-time pace, with a stall longer than
 * the read timeout and a restarted sender in the middle ({@link LiveStreamCheck}). RTSP is not
 * here: FFmpeg has no RTSP server that serves PLAY (docs/live-sources.md).
 */
class LiveProtocolsITCase {

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

    private static void check(String name, Protocol p, Path tmp) throws Exception {
        LiveStreamCheck.check(kafka.bootstrapServers(), "live." + name, p, tmp);
    }

    @Test
    void mpegTsOverTcp(@TempDir Path tmp) throws Exception {
        int port = LiveStreamCheck.freeTcpPort();
        String url = "tcp://127.0.0.1:" + port;
        check(
                "tcp",
                new Protocol(
                        url,
                        url + "?listen=1&listen_timeout=60000",
                        Wire.MPEGTS,
                        Map.of(),
                        Order.SENDER_LISTENS,
                        0,
                        0),
                tmp);
    }

    @Test
    void mpegTsOverHttp(@TempDir Path tmp) throws Exception {
        // FFmpeg's HTTP server mode: one client GETs the stream as it is encoded.
        int port = LiveStreamCheck.freeTcpPort();
        String url = "http://127.0.0.1:" + port + "/live.ts";
        check(
                "http",
                new Protocol(
                        url, url, Wire.MPEGTS, Map.of("listen", "1"), Order.SENDER_LISTENS, 0, 0),
                tmp);
    }

    @Test
    void mpegTsOverUdp(@TempDir Path tmp) throws Exception {
        int port = LiveStreamCheck.freeUdpPortPair();
        String url = "udp://127.0.0.1:" + port;
        check(
                "udp",
                new Protocol(
                        url,
                        url + "?pkt_size=1316",
                        Wire.MPEGTS,
                        Map.of(),
                        Order.FOLLOWER_BINDS,
                        port,
                        0),
                tmp);
    }

    @Test
    void mpegTsOverRtp(@TempDir Path tmp) throws Exception {
        int port = LiveStreamCheck.freeUdpPortPair();
        String url = "rtp://127.0.0.1:" + port;
        check(
                "rtp",
                new Protocol(
                        url,
                        url,
                        Wire.RTP_MPEGTS,
                        Map.of(),
                        Order.FOLLOWER_BINDS,
                        port,
                        // FFmpeg's RTP depacketizer keeps the last packets before a stall, and
                        // drops them with the connection: up to a GOP at each end of a stream.
                        3 * NumberedStream.GOP),
                tmp);
    }

    @Test
    void mpegTsOverSrt(@TempDir Path tmp) throws Exception {
        // SRT runs over UDP: the listener binds a UDP port.
        int port = LiveStreamCheck.freeUdpPortPair();
        check(
                "srt",
                new Protocol(
                        "srt://127.0.0.1:" + port + "?mode=caller",
                        "srt://127.0.0.1:" + port + "?mode=listener",
                        Wire.MPEGTS,
                        Map.of(),
                        Order.SENDER_LISTENS,
                        0,
                        0),
                tmp);
    }

    @Test
    void flvOverRtmp(@TempDir Path tmp) throws Exception {
        int port = LiveStreamCheck.freeTcpPort();
        String url = "rtmp://127.0.0.1:" + port + "/live/cam";
        check(
                "rtmp",
                new Protocol(url, url, Wire.FLV, Map.of("listen", "1"), Order.SENDER_LISTENS, 0, 0),
                tmp);
    }
}
