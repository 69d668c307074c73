package io.bimm.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.testutil.Videos;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
    private static final int T = 8;
    private static final int TAU = 4;

    /**
     * The sample videos with B-frames, whole and cut as ingest cuts them: XviD (packed B-frames)
     * and H.264 (box.mp4).
     */
    static void clipsWithBFrames(List<String> names, List<byte[]> clips) throws Exception {
        for (String name : new String[] {"Megamind.avi", "Megamind_bugy.avi", "box.mp4"}) {
            names.add(name);
            clips.add(Videos.bytes(name));
            new io.bimm.flink.ingest.VideoSegmenter(4)
                    .segment(
                            Videos.path(name),
                            Videos.bytes(name),
                            (probe, seg) -> {
                                names.add(name + "-" + seg.index());
                                clips.add(seg.data());
                            });
        }
    }

    private static DemuxedVideo open(byte[] data) throws DecodeException {
        return DemuxedVideo.open(
                data, DecodeOptions.builder().build(), MediaInput.NO_DEADLINE, n -> {});
    }

    /** CRC of the RGB24 rows (without padding) of every frame, in order. */
    private static long[] allFrames(FrameDecoder d, DemuxedVideo v, boolean skip, boolean[] need)
            throws Exception {
        long[] crc = new long[v.packetCount()];
        java.util.Arrays.fill(crc, -1);
        int reached =
                d.decode(
                        v,
                        k -> need == null || (k < need.length && need[k]),
                        need == null ? Integer.MAX_VALUE : need.length - 1,
                        skip,
                        (k, rgb, w, h, stride) -> crc[k] = crc(rgb, w, h, stride),
                        n -> {});
        return java.util.Arrays.copyOf(crc, reached);
    }

    private static long crc(BytePointer rgb, int w, int h, int stride) {
        CRC32 c = new CRC32();
        byte[] row = new byte[w * 3];
        for (int y = 0; y < h; y++) {
            rgb.position((long) y * stride).get(row);
            c.update(row);
        }
        rgb.position(0);
        return c.getValue();
    }

    @Test
    void framesAreThoseOfFFmpegFrameGrabber() throws Exception {
        // The conversion must match a plain grab to the byte (the samples did not change).
        List<String> names = new ArrayList<>();
        List<byte[]> clips = new ArrayList<>();
        clipsWithBFrames(names, clips);
        names.add("cup.mp4");
        clips.add(Videos.bytes("cup.mp4"));
        try (FrameDecoder d = new FrameDecoder(DecodeOptions.builder().build())) {
            for (int i = 0; i < clips.size(); i++) {
                byte[] data = clips.get(i);
                List<Long> ref = new ArrayList<>();
                try (FFmpegFrameGrabber g =
                        new FFmpegFrameGrabber(new ByteArrayInputStream(data), data.length + 1)) {
                    g.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
                    g.setVideoOption("threads", "1");
                    g.start();
                    Frame f;
                    while ((f = g.grabImage()) != null) {
                        BytePointer p =
                                new BytePointer((java.nio.ByteBuffer) f.image[0].position(0));
                        ref.add(crc(p, f.imageWidth, f.imageHeight, f.imageStride));
                    }
                }
                try (DemuxedVideo v = open(data)) {
                    long[] ours = allFrames(d, v, false, null);
                    assertThat(ours).as(names.get(i)).hasSize(ref.size());
                    for (int k = 0; k < ours.length; k++) {
                        assertThat(ours[k])
                                .as("%s frame %d", names.get(i), k)
                                .isEqualTo(ref.get(k));
                    }
                }
            }
        }
    }

    @Test
    void skippingGivesTheFramesOfAFullDecodeAtEveryOffset() throws Exception {
        List<String> names = new ArrayList<>();
        List<byte[]> clips = new ArrayList<>();
        clipsWithBFrames(names, clips);
        int skipped = 0;
        try (FrameDecoder d = new FrameDecoder(DecodeOptions.builder().build())) {
            for (int i = 0; i < clips.size(); i++) {
                try (DemuxedVideo v = open(clips.get(i))) {
                    long[] all = allFrames(d, v, false, null);
                    int f = all.length;
                    // Segments (what the job decodes) at every offset (every 4th for H.264, slower
                    // to decode), whole files at every 20th.
                    int step = names.get(i).contains("-") ? 1 : 20;
                    if (names.get(i).startsWith("box") && step == 1) {
                        step = 4;
                    }
                    for (int o = 1; o <= f - (T - 1) * TAU - 1; o += step) {
                        boolean[] need = new boolean[o + (T - 1) * TAU + 1];
                        for (int t = 0; t < T; t++) {
                            need[o + t * TAU] = true;
                            need[o + t * TAU - 1] = true;
                        }
                        int before = d.framesDecoded();
                        long[] got = allFrames(d, v, true, need);
                        assertThat(got).as("%s offset %d", names.get(i), o).hasSize(need.length);
                        for (int k = 0; k < need.length; k++) {
                            if (need[k]) {
                                assertThat(got[k])
                                        .as("%s offset %d frame %d", names.get(i), o, k)
                                        .isEqualTo(all[k]);
                            }
                        }
                        if (d.framesDecoded() - before < need.length) {
                            skipped++;
                        }
                    }
                }
            }
        }
        assertThat(skipped).as("offsets where frames were skipped").isGreaterThan(100);
    }
}
