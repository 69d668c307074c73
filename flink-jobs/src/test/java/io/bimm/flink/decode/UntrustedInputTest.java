package io.bimm.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.testutil.Videos;
import io.bimm.schemas.DeadLetterReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clip bytes that try to make FFmpeg open a socket or another file, or decode frames over the
 * limits (issue 22): each is refused with its reason, and ordinary 4K passes in either orientation.
 */
class UntrustedInputTest {
    /** Samples frames 0..2 only: cheap enough for 4K test clips. */
    private static DecodeOptions.Builder tiny() {
        return DecodeOptions.builder().optSize(32).optFrames(2).optStride(1).optDeterministic(true);
    }

    private static DecodedClip decode(DecodeOptions o, byte[] data) throws DecodeException {
        try (ClipDecoder d = new ClipDecoder(o)) {
            return d.decode(data, "hostile-1", 7, 0);
        }
    }

    private static DecodeException rejected(DecodeOptions o, byte[] data) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> decode(o, data));
        assertThat(t).isInstanceOf(DecodeException.class);
        assertThat(t.getMessage()).startsWith("Clip hostile-1: ");
        return (DecodeException) t;
    }

    @Test
    void sdpTextIsRefusedBeforeAnySocketIsOpened() throws Exception {
        int port = 45004;
        byte[] sdp = HostileMedia.sdp(port);
        // FFmpeg's sdp demuxer would bind UDP ports 45004 and 45005 and wait for RTP: watch the
        // kernel's socket tables while the clip is decoded.
        AtomicBoolean bound = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        Thread watcher =
                new Thread(
                        () -> {
                            while (!done.get()) {
                                if (udpBound(port) || udpBound(port + 1)) {
                                    bound.set(true);
                                }
                                try {
                                    Thread.sleep(2);
                                } catch (InterruptedException ie) {
                                    return;
                                }
                            }
                        });
        Throwable t;
        long t0;
        long t1;
        try (ClipDecoder d = new ClipDecoder(tiny().build())) {
            // FFmpeg's libraries loaded first, so the time printed is the rejection's alone.
            org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.avformat.class);
            watcher.start();
            t0 = System.nanoTime();
            t =
                    org.assertj.core.api.Assertions.catchThrowable(
                            () -> d.decode(sdp, "hostile-1", 7, 0));
            t1 = System.nanoTime();
        } finally {
            done.set(true);
            watcher.join();
        }
        System.out.printf(Locale.ROOT, "SDP clip rejected in %.1f ms%n", (t1 - t0) / 1e6);
        assertThat(bound).as("a UDP socket on port %d or %d", port, port + 1).isFalse();
        assertThat(t).isInstanceOf(DecodeException.class);
        DecodeException e = (DecodeException) t;
        assertThat(e.reason()).isEqualTo(DeadLetterReason.NOT_VIDEO);
        assertThat(e.getMessage()).startsWith("Clip hostile-1: ");
        assertThat(e.getMessage()).contains("sdp").contains("not one of the accepted");
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(port)) {
            assertThat(s.getLocalPort()).isEqualTo(port);
        }
    }

    private static boolean udpBound(int port) {
        String hex = String.format(Locale.ROOT, ":%04X", port);
        for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] cols = line.trim().split("\\s+");
                    if (cols.length > 1 && cols[1].endsWith(hex)) {
                        return true;
                    }
                }
            } catch (java.io.IOException ignored) {
                // table absent: nothing bound there
            }
        }
        return false;
    }

    @Test
    void hlsPlaylistNamingALocalFileIsRefused(@TempDir Path tmp) throws Exception {
        // FFmpeg 7.1 probes hls only by an .m3u8 name or MIME type, which clip bytes lack; were
        // it detected, the allow-list would refuse it (ingest's test covers the file case).
        Path video = Files.copy(Videos.path("cup.mp4"), tmp.resolve("cup.mp4"));
        DecodeException e = rejected(tiny().build(), HostileMedia.hlsPlaylist(video));
        assertThat(e.reason()).isEqualTo(DeadLetterReason.NOT_VIDEO);
    }

    @Test
    void ffconcatListNamingARelativePathIsRefused() throws Exception {
        // Relative to the working directory, where FFmpeg would resolve it for in-memory bytes;
        // a plain relative path is one the concat demuxer's safe mode allows.
        Path dir = Path.of("target", "hostile-" + UUID.randomUUID());
        Files.createDirectories(dir);
        try {
            Files.copy(Videos.path("cup.mp4"), dir.resolve("cup.mp4"));
            String relative = dir.resolve("cup.mp4").toString().replace('\\', '/');
            DecodeException e = rejected(tiny().build(), HostileMedia.ffconcat(relative));
            assertThat(e.reason()).isEqualTo(DeadLetterReason.NOT_VIDEO);
            assertThat(e.getMessage()).contains("concat");
        } finally {
            Files.deleteIfExists(dir.resolve("cup.mp4"));
            Files.deleteIfExists(dir);
        }
    }

    /** 60 frames of 64x64, then 2 of {@code w x h}: FFmpeg's probe sees only the small ones. */
    private static byte[] growing(int w, int h) throws Exception {
        byte[] small = HostileMedia.rawH264(64, 64, SMALL_FRAMES);
        byte[] big = HostileMedia.rawH264(w, h, 2);
        byte[] stream = new byte[small.length + big.length];
        System.arraycopy(small, 0, stream, 0, small.length);
        System.arraycopy(big, 0, stream, small.length, big.length);
        return stream;
    }

    private static final int SMALL_FRAMES = 60;

    /** Samples frames 0, 1, 60 and 61: the last two are the first frames after the switch. */
    private static DecodeOptions.Builder acrossTheSwitch() {
        return tiny().optStride(SMALL_FRAMES);
    }

    @Test
    void rawH264ThatGrowsPastTheLimitsMidStreamIsRefused() throws Exception {
        // Two encodes back to back: the header and the first 60 frames say 64x64, frame 60 is
        // 4096x2304 (over the 3840x2160 default in pixels and long side).
        byte[] stream = growing(4096, 2304);
        DecodeException e = rejected(acrossTheSwitch().build(), stream);
        assertThat(e.reason()).isEqualTo(DeadLetterReason.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).doesNotContain("64x64");

        // The same stream in Matroska: a container header that says 64x64.
        byte[] lying = HostileMedia.remuxToMatroska(stream);
        DecodeException m = rejected(acrossTheSwitch().build(), lying);
        assertThat(m.reason()).isEqualTo(DeadLetterReason.LIMIT_EXCEEDED);
    }

    @Test
    void everyDecodedFrameIsHeldToTheLimitsNotOnlyTheHeader() throws Exception {
        // 64x64, then 320x192 (61440 pixels). A 200x200 limit gives FFmpeg a budget of
        // 264x264 = 69696 pixels: the decoder allocates the frame and the per-frame check refuses
        // it (long side 320 > 200). A 128x128 limit's budget (36864) is under it: the decoder
        // itself refuses to allocate the frame.
        byte[] stream = growing(320, 192);
        DecodeException bySide =
                rejected(acrossTheSwitch().optMaxWidth(200).optMaxHeight(200).build(), stream);
        assertThat(bySide.reason()).isEqualTo(DeadLetterReason.LIMIT_EXCEEDED);
        assertThat(bySide.getMessage()).contains("320x192");
        DecodeException byPixels =
                rejected(acrossTheSwitch().optMaxWidth(128).optMaxHeight(128).build(), stream);
        assertThat(byPixels.reason()).isEqualTo(DeadLetterReason.LIMIT_EXCEEDED);
        // Within limits it decodes, frames of both sizes sampled.
        DecodedClip c = decode(acrossTheSwitch().build(), stream);
        assertThat(c.frameCount()).isEqualTo(SMALL_FRAMES + 2);
        assertThat(c.xIndices()).containsExactly(1, SMALL_FRAMES + 1);
    }

    @Test
    void portraitAndLandscape4kAreAcceptedAlike(@TempDir Path tmp) throws Exception {
        for (int[] size : new int[][] {{3840, 2160}, {2160, 3840}}) {
            byte[] clip = HostileMedia.mpeg4(size[0], size[1], 3, "avi", tmp);
            DecodedClip c = decode(tiny().build(), clip);
            assertThat(c.frameCount()).as("%dx%d", size[0], size[1]).isEqualTo(3);
        }
        // 16 pixels more on the long side is refused in either orientation.
        for (int[] size : new int[][] {{3856, 2160}, {2160, 3856}}) {
            byte[] clip = HostileMedia.mpeg4(size[0], size[1], 3, "avi", tmp);
            DecodeException e = rejected(tiny().build(), clip);
            assertThat(e.reason())
                    .as("%dx%d", size[0], size[1])
                    .isEqualTo(DeadLetterReason.LIMIT_EXCEEDED);
        }
    }

    @Test
    void openingIsHeldToTheDeadline() {
        DecodeException e =
                rejected(
                        tiny().optMaxDecodeTime(java.time.Duration.ofNanos(1)).build(),
                        Videos.bytes("cup.mp4"));
        assertThat(e.reason()).isEqualTo(DeadLetterReason.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("took longer");
    }
}
