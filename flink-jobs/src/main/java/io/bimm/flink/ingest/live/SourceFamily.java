package io.bimm.flink.ingest.live;

import java.util.Locale;

/**
 * The kinds of live source {@code bimm ingest --follow} opens, each with exactly the FFmpeg
 * protocols and demuxers its URL needs: an operator's {@code rtsp://} URL may use RTSP's transports
 * and nothing else, an HTTP live stream its playlist and segments over HTTP(S) and nothing else,
 * and only a {@code file:} URL may read a file. Bytes inside a file or record never get a protocol
 * ({@link io.bimm.flink.decode.MediaInput}).
 */
public enum SourceFamily {
    /** An RTSP camera or server; the media comes over RTP (UDP or interleaved in TCP). */
    RTSP("rtsp,rtp,udp,tcp", "rtsp", Timeline.WALL_CLOCK),
    /** RTSP over TLS. */
    RTSPS("rtsp,rtsps,rtp,srtp,udp,tcp,tls", "rtsp", Timeline.WALL_CLOCK),
    /** RTMP (FLV over TCP), as streaming servers and OBS send it. */
    RTMP("rtmp,tcp", "flv,live_flv", Timeline.WALL_CLOCK),
    /** RTMP over TLS. */
    RTMPS("rtmps,tcp,tls", "flv,live_flv", Timeline.WALL_CLOCK),
    /** SRT (MPEG-TS over SRT), as broadcast contribution links send it. */
    SRT("srt", "mpegts", Timeline.WALL_CLOCK),
    /** MPEG-TS (or a raw H.264/HEVC stream) in UDP datagrams, unicast or multicast. */
    UDP("udp", "mpegts,h264,hevc", Timeline.WALL_CLOCK),
    /** MPEG-TS in RTP over UDP, without SDP. */
    RTP("rtp,udp", "rtp,mpegts", Timeline.WALL_CLOCK),
    /** A stream over a plain TCP connection (MPEG-TS, FLV, Matroska, raw H.264/HEVC). */
    TCP("tcp", "mpegts,flv,matroska,h264,hevc", Timeline.WALL_CLOCK),
    /**
     * HTTP(S): an HLS live playlist and its segments, or a progressive stream (MPEG-TS, FLV,
     * Matroska). The playlist may name segments over HTTP(S) only.
     */
    HTTP(
            "hls,http,https,tcp,tls,crypto",
            "hls,mpegts,mov,aac,mp3,flv,matroska,h264,hevc",
            Timeline.WALL_CLOCK),
    /** A file still being written (MPEG-TS, Matroska, FLV, raw H.264/HEVC, fragmented MP4). */
    FILE("file", "mpegts,matroska,flv,h264,hevc,mov", Timeline.STREAM);

    /** How the start time of a segment (and so its id) is derived from its timestamps. */
    public enum Timeline {
        /**
         * Wall-clock anchored: a connection's first packet is "now" (or continues the source's
         * previous timeline when its clock did); start times are microseconds since the epoch.
         */
        WALL_CLOCK,
        /** The stream's own timestamps: a file read again gives the same start times and ids. */
        STREAM
    }

    private final String protocols;
    private final String formats;
    private final Timeline timeline;

    SourceFamily(String protocols, String formats, Timeline timeline) {
        this.protocols = protocols;
        this.formats = formats;
        this.timeline = timeline;
    }

    /** FFmpeg's {@code protocol_whitelist} for a URL of this family. */
    public String protocolWhitelist() {
        return protocols;
    }

    /** FFmpeg's {@code format_whitelist}: the demuxers this family's streams may use. */
    public String formatWhitelist() {
        return formats;
    }

    public Timeline timeline() {
        return timeline;
    }

    /** Whether FFmpeg's {@code timeout} option is the socket read timeout for this family. */
    boolean takesSocketTimeout() {
        return switch (this) {
            case RTSP, RTSPS, UDP, RTP, TCP, HTTP -> true;
            default -> false;
        };
    }

    /**
     * The family of a URL scheme.
     *
     * @throws IllegalArgumentException for a scheme bimm does not follow
     */
    public static SourceFamily ofScheme(String scheme) {
        return switch (scheme.toLowerCase(Locale.ROOT)) {
            case "rtsp" -> RTSP;
            case "rtsps" -> RTSPS;
            case "rtmp" -> RTMP;
            case "rtmps" -> RTMPS;
            case "srt" -> SRT;
            case "udp" -> UDP;
            case "rtp" -> RTP;
            case "tcp" -> TCP;
            case "http", "https" -> HTTP;
            case "file" -> FILE;
            default ->
                    throw new IllegalArgumentException(
                            "the scheme "
                                    + scheme
                                    + ": is not a live source bimm follows (rtsp, rtsps, rtmp,"
                                    + " rtmps, srt, udp, rtp, tcp, http, https, file)");
        };
    }
}
