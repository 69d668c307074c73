package io.bimm.flink.decode;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The FFmpeg demuxers that untrusted bytes may be opened with ({@link MediaInput}): the real video
 * containers and raw H.264/HEVC streams, none of which can name another file, URL or device.
 * Everything else FFmpeg can probe (playlists such as {@code hls}, {@code dash}, {@code concat},
 * session descriptions such as {@code sdp} or {@code rtsp}, image sequences, ...) is refused.
 */
public enum VideoContainer {
    /** Matroska and WebM: the segments ingest writes, and WebM downloads. */
    MATROSKA("matroska,webm"),
    /** MP4, MOV, 3GP: cameras, phones, most downloads (external data references stay off). */
    MP4("mov,mp4,m4a,3gp,3g2,mj2"),
    /** AVI: older data sets (UCF101, HMDB51, KTH). */
    AVI("avi"),
    /** MPEG transport stream: broadcast and camcorder recordings (.ts, .m2ts). */
    MPEG_TS("mpegts"),
    /** Flash video: older web video. */
    FLV("flv"),
    /** A raw H.264 Annex B stream, as encoders and cameras write it. */
    H264("h264"),
    /** A raw HEVC Annex B stream. */
    HEVC("hevc");

    private final String demuxer;

    VideoContainer(String demuxer) {
        this.demuxer = demuxer;
    }

    /** FFmpeg's name of the demuxer ({@code AVInputFormat.name}). */
    public String demuxer() {
        return demuxer;
    }

    /** Whether the demuxer named {@code name} (FFmpeg's full name) is allowed. */
    static boolean allows(String name) {
        for (VideoContainer c : values()) {
            if (c.demuxer.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** FFmpeg's {@code format_whitelist}: the first name of each allowed demuxer. */
    static String whitelist() {
        return Arrays.stream(values())
                .map(c -> MediaInput.firstName(c.demuxer))
                .collect(Collectors.joining(","));
    }

    /** For messages: {@code matroska, mov, avi, ...}. */
    static String describe() {
        return whitelist().replace(",", ", ");
    }
}
