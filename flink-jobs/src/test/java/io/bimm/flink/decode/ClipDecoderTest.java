package io.bimm.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.bimm.flink.testutil.Videos;
import io.bimm.schemas.DeadLetterReason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.Test;

class ClipDecoderTest {
    private static final int S = 64;
    private static final int T = 8;
    private static final int TAU = 4;

    private static DecodeOptions.Builder small() {
        return DecodeOptions.builder().optSize(S).optFrames(T).optStride(TAU);
    }

    private static DecodedClip decode(DecodeOptions o, byte[] data, int draw)
            throws DecodeException {
        try (ClipDecoder d = new ClipDecoder(o)) {
            return d.decode(data, "clip", 7, draw);
        }
    }

    /** All frames, decoded independently from the file (not in memory), RGB, original size. */
    private static List<byte[]> allFrames(String name, int[] dims) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(Videos.path(name).toFile());
                OpenCVFrameConverter.ToMat conv = new OpenCVFrameConverter.ToMat()) {
            g.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            g.start();
            dims[0] = g.getImageWidth();
            dims[1] = g.getImageHeight();
            Frame f;
            while ((f = g.grabImage()) != null) {
                Mat m = conv.convert(f);
                Mat c = m.clone();
                byte[] b = new byte[dims[0] * dims[1] * 3];
                c.data().get(b);
                frames.add(b);
                c.close();
            }
            g.stop();
        }
        return frames;
    }

    /** Bilinear scale of the short side to S, then the center S x S crop (SPEC 1, c = 1). */
    private static byte[] centerCrop(byte[] rgb, int w, int h) {
        int nw = Math.max(S, (int) Math.round((double) w * S / Math.min(w, h)));
        int nh = Math.max(S, (int) Math.round((double) h * S / Math.min(w, h)));
        Mat src = new Mat(h, w, org.bytedeco.opencv.global.opencv_core.CV_8UC3);
        src.data().put(rgb);
        Mat dst = new Mat();
        opencv_imgproc.resize(src, dst, new Size(nw, nh), 0, 0, opencv_imgproc.INTER_LINEAR);
        Mat crop = new Mat(dst, new Rect((nw - S) / 2, (nh - S) / 2, S, S)).clone();
        byte[] out = new byte[S * S * 3];
        crop.data().get(out);
        return out;
    }

    @Test
    void deterministicSamplingPicksSpecFramesOfAnIndependentDecode() throws Exception {
        for (String name : new String[] {"cup.mp4", "Megamind.avi"}) {
            int[] dims = new int[2];
            List<byte[]> ref = allFrames(name, dims);
            DecodedClip clip =
                    decode(small().optDeterministic(true).build(), Videos.bytes(name), 0);
            assertThat(clip.frameCount()).isEqualTo(ref.size());
            assertThat(clip.offset()).isEqualTo(1);
            assertThat(clip.decodedFrames()).isEqualTo(1 + (T - 1) * TAU + 1);
            for (int i = 0; i < T; i++) {
                assertThat(clip.xIndices()[i]).isEqualTo(1 + i * TAU);
                assertThat(clip.yIndices()[i]).isEqualTo(i * TAU);
                assertThat(clip.x()[i])
                        .as("%s x_%d", name, i)
                        .isEqualTo(centerCrop(ref.get(1 + i * TAU), dims[0], dims[1]));
                assertThat(clip.y()[i])
                        .as("%s y_%d", name, i)
                        .isEqualTo(centerCrop(ref.get(i * TAU), dims[0], dims[1]));
            }
        }
    }

    @Test
    void trainingSamplingStaysInRangeAndIsReproducible() throws Exception {
        byte[] data = Videos.bytes("cup.mp4");
        DecodeOptions o = small().build();
        int f = 217;
        java.util.Set<Integer> offsets = new java.util.HashSet<>();
        for (int draw = 0; draw < 6; draw++) {
            DecodedClip c = decode(o, data, draw);
            assertThat(c.frameCount()).isEqualTo(f);
            assertThat(c.offset()).isBetween(1, f - (T - 1) * TAU - 1);
            assertThat(c.scale()).isIn(1.0, 0.875, 0.75, 0.66);
            for (int i = 0; i < T; i++) {
                assertThat(c.xIndices()[i]).isEqualTo(c.offset() + i * TAU);
                assertThat(c.yIndices()[i]).isEqualTo(c.offset() + i * TAU - 1);
            }
            offsets.add(c.offset());
        }
        assertThat(offsets).hasSizeGreaterThan(1);
        DecodedClip a = decode(o, data, 3);
        DecodedClip b = decode(o, data, 3);
        assertThat(a.offset()).isEqualTo(b.offset());
        assertThat(a.cropX()).isEqualTo(b.cropX());
        assertThat(a.flipped()).isEqualTo(b.flipped());
        assertThat(Arrays.deepEquals(a.x(), b.x())).isTrue();
    }

    @Test
    void flipMirrorsEveryRow() throws Exception {
        byte[] data = Videos.bytes("cup.mp4");
        DecodeOptions o = small().build();
        DecodedClip flipped = null;
        for (int draw = 0; flipped == null && draw < 40; draw++) {
            DecodedClip c = decode(o, data, draw);
            if (c.flipped() && c.scale() == 1.0) {
                flipped = c;
            }
        }
        assertThat(flipped).isNotNull();
        // The unflipped crop at the same place, from the same frame: re-derive from a full decode.
        int[] dims = new int[2];
        List<byte[]> ref = allFrames("cup.mp4", dims);
        int nw = (int) Math.round((double) dims[0] * S / Math.min(dims[0], dims[1]));
        int nh = (int) Math.round((double) dims[1] * S / Math.min(dims[0], dims[1]));
        Mat src = new Mat(dims[1], dims[0], org.bytedeco.opencv.global.opencv_core.CV_8UC3);
        src.data().put(ref.get(flipped.xIndices()[0]));
        Mat dst = new Mat();
        opencv_imgproc.resize(src, dst, new Size(nw, nh), 0, 0, opencv_imgproc.INTER_LINEAR);
        Mat crop = new Mat(dst, new Rect(flipped.cropX(), flipped.cropY(), S, S)).clone();
        byte[] plain = new byte[S * S * 3];
        crop.data().get(plain);
        byte[] x0 = flipped.x()[0];
        for (int r = 0; r < S; r++) {
            for (int c = 0; c < S; c++) {
                for (int ch = 0; ch < 3; ch++) {
                    assertThat(x0[(r * S + c) * 3 + ch])
                            .isEqualTo(plain[(r * S + (S - 1 - c)) * 3 + ch]);
                }
            }
        }
    }

    @Test
    void shortClipLoopsOrIsRejected() throws Exception {
        byte[] data = Videos.bytes("cup.mp4"); // 217 frames; window (T-1)*60+2 = 422
        DecodeOptions loop = small().optStride(60).optDeterministic(true).build();
        DecodedClip c = decode(loop, data, 0);
        for (int i = 0; i < T; i++) {
            assertThat(c.xIndices()[i]).isEqualTo((1 + i * 60) % 217);
            assertThat(c.yIndices()[i]).isEqualTo((i * 60) % 217);
        }
        assertThat(Arrays.stream(c.x()).allMatch(x -> x != null)).isTrue();
        DecodeOptions reject =
                small().optStride(60)
                        .optShortClipPolicy(DecodeOptions.ShortClipPolicy.REJECT)
                        .build();
        assertReason(reject, data, DeadLetterReason.TOO_SHORT);
    }

    @Test
    void badInputGetsTheRightReason() throws Exception {
        DecodeOptions o = small().build();
        byte[] random = new byte[200_000];
        new Random(1).nextBytes(random);
        assertReason(o, random, DeadLetterReason.NOT_VIDEO);
        assertReason(o, new byte[0], DeadLetterReason.NOT_VIDEO);

        BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", jpeg);
        assertReason(o, jpeg.toByteArray(), DeadLetterReason.NOT_VIDEO);

        byte[] box = Videos.bytes("box.mp4");
        assertReason(o, Arrays.copyOf(box, 4096), DeadLetterReason.NOT_VIDEO);
        byte[] avi = Videos.bytes("Megamind.avi");
        // Header and the first few frames only: decodes, but too short for the window.
        assertReason(
                small().optShortClipPolicy(DecodeOptions.ShortClipPolicy.REJECT).build(),
                Arrays.copyOf(avi, 40_000),
                DeadLetterReason.TOO_SHORT);
    }

    @Test
    void frameCountOfAMatroskaSegmentComesFromItsPacketsWithoutDecodingItTwice() throws Exception {
        // Segments written by ingest are Matroska, whose header has no frame count.
        List<byte[]> segments = new ArrayList<>();
        new io.bimm.flink.ingest.VideoSegmenter(4)
                .segment(
                        Videos.path("Megamind.avi"),
                        Videos.bytes("Megamind.avi"),
                        (probe, seg) -> segments.add(seg.data()));
        assertThat(segments).hasSizeGreaterThan(1);
        byte[] seg = segments.get(1);
        int frames = 0;
        try (FFmpegFrameGrabber g =
                new FFmpegFrameGrabber(new java.io.ByteArrayInputStream(seg), seg.length + 1)) {
            g.start();
            assertThat(g.getFormat()).contains("matroska");
            while (g.grabFrame(false, true, false, false) != null) {
                frames++;
            }
        }
        int window = (T - 1) * TAU + 2;
        try (ClipDecoder d =
                new ClipDecoder(small().optDeterministic(true).optSkipUnneeded(false).build())) {
            DecodedClip clip = d.decode(seg, "seg", 7, 0);
            assertThat(clip.frameCount()).isEqualTo(frames);
            // Deterministic: offset 1, so only the window is decoded, once.
            assertThat(d.framesDecoded()).isEqualTo(window).isLessThan(frames);
        }
        try (ClipDecoder d = new ClipDecoder(small().optDeterministic(true).build())) {
            DecodedClip clip = d.decode(seg, "seg", 7, 0);
            assertThat(clip.frameCount()).isEqualTo(frames);
            assertThat(clip.decodedFrames()).isEqualTo(window);
            // XviD with B-frames: B-frames between the needed pairs are not decoded.
            assertThat(d.framesDecoded()).isLessThan(window);
        }
    }

    @Test
    void skippingUnneededFramesYieldsTheSameSamples() throws Exception {
        // End to end through ClipDecoder, training and deterministic mode; the frame-exact check
        // over every offset is FrameDecoderTest.
        int skippedSomewhere = 0;
        List<String> names = new ArrayList<>();
        List<byte[]> clips = new ArrayList<>();
        FrameDecoderTest.clipsWithBFrames(names, clips);
        names.add("cup.mp4");
        clips.add(Videos.bytes("cup.mp4"));
        for (DecodeOptions.Builder b : List.of(small(), small().optDeterministic(true))) {
            try (ClipDecoder full = new ClipDecoder(b.optSkipUnneeded(false).build());
                    ClipDecoder skip = new ClipDecoder(b.optSkipUnneeded(true).build())) {
                for (int i = 0; i < clips.size(); i++) {
                    for (int draw = 0; draw < 3; draw++) {
                        int before = full.framesDecoded() - skip.framesDecoded();
                        DecodedClip a = full.decode(clips.get(i), names.get(i), 7, draw);
                        DecodedClip c = skip.decode(clips.get(i), names.get(i), 7, draw);
                        String what = names.get(i) + " draw " + draw;
                        assertThat(c.frameCount()).as(what).isEqualTo(a.frameCount());
                        assertThat(c.offset()).as(what).isEqualTo(a.offset());
                        assertThat(c.cropX()).as(what).isEqualTo(a.cropX());
                        assertThat(c.decodedFrames()).as(what).isEqualTo(a.decodedFrames());
                        for (int k = 0; k < a.frames(); k++) {
                            assertThat(c.x()[k]).as("%s x_%d", what, k).isEqualTo(a.x()[k]);
                            assertThat(c.y()[k]).as("%s y_%d", what, k).isEqualTo(a.y()[k]);
                        }
                        if (full.framesDecoded() - skip.framesDecoded() > before) {
                            skippedSomewhere++;
                        }
                    }
                }
            }
        }
        assertThat(skippedSomewhere).isGreaterThan(clips.size());
    }

    @Test
    void narrowFramesWhoseRowsFFmpegPadsDecodeWithTheirColours(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        // 48 px wide: RGB rows of 144 bytes are padded to 192, which JavaCV reports as 4 channels.
        java.nio.file.Path file = tmp.resolve("narrow.mp4");
        int frames = 20;
        try (org.bytedeco.javacv.FFmpegFrameRecorder r =
                        new org.bytedeco.javacv.FFmpegFrameRecorder(file.toFile(), 48, 40, 0);
                org.bytedeco.javacv.Java2DFrameConverter conv =
                        new org.bytedeco.javacv.Java2DFrameConverter()) {
            r.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4);
            r.setFormat("mp4");
            r.setFrameRate(25);
            r.setVideoQuality(1);
            r.start();
            for (int i = 0; i < frames; i++) {
                BufferedImage img = new BufferedImage(48, 40, BufferedImage.TYPE_3BYTE_BGR);
                java.awt.Graphics g = img.getGraphics();
                g.setColor(new java.awt.Color(200, 10 * i, 40));
                g.fillRect(0, 0, 48, 40);
                g.dispose();
                r.record(conv.convert(img));
            }
            r.stop();
        }
        DecodedClip clip =
                decode(
                        DecodeOptions.builder()
                                .optSize(32)
                                .optFrames(4)
                                .optStride(2)
                                .optDeterministic(true)
                                .build(),
                        java.nio.file.Files.readAllBytes(file),
                        0);
        assertThat(clip.frameCount()).isEqualTo(frames);
        for (int i = 0; i < 4; i++) {
            int k = clip.xIndices()[i];
            byte[] x = clip.x()[i];
            int c = (16 * 32 + 16) * 3; // centre pixel, RGB
            assertThat(x[c] & 0xFF).as("R of frame %d", k).isCloseTo(200, within(12));
            assertThat(x[c + 1] & 0xFF).as("G of frame %d", k).isCloseTo(10 * k, within(12));
            assertThat(x[c + 2] & 0xFF).as("B of frame %d", k).isCloseTo(40, within(12));
        }
    }

    @Test
    void megamindBugyDecodesAllItsFrames() throws Exception {
        // FFmpeg 7.1 decodes all 270 frames of this file without error (even with
        // err_detect=explode), so it becomes a sample rather than a dead letter.
        DecodedClip c =
                decode(
                        small().optDeterministic(true).build(),
                        Videos.bytes("Megamind_bugy.avi"),
                        0);
        assertThat(c.frameCount()).isEqualTo(270);
    }

    @Test
    void limitsAreEnforced() {
        byte[] data = Videos.bytes("Megamind.avi");
        assertReason(small().optMaxBytes(1000).build(), data, DeadLetterReason.OVER_SIZE);
        // Megamind.avi is 720x528; the limits hold in either orientation.
        assertReason(
                small().optMaxWidth(640).optMaxHeight(480).build(),
                data,
                DeadLetterReason.LIMIT_EXCEEDED);
        assertReason(
                small().optMaxWidth(1280).optMaxHeight(500).build(),
                data,
                DeadLetterReason.LIMIT_EXCEEDED);
        assertReason(small().optMaxFrames(100).build(), data, DeadLetterReason.LIMIT_EXCEEDED);
        assertReason(
                small().optMaxDecodeTime(Duration.ofNanos(1)).build(),
                data,
                DeadLetterReason.LIMIT_EXCEEDED);
    }

    @Test
    void limitsDoNotDependOnOrientation() throws Exception {
        // A portrait limit box takes a landscape video of the same size, and the exact size fits.
        byte[] data = Videos.bytes("Megamind.avi");
        DecodeOptions portrait = small().optMaxWidth(528).optMaxHeight(720).build();
        assertThat(decode(portrait, data, 0).frameCount()).isEqualTo(270);
        assertThat(portrait.frameFits(720, 528)).isTrue();
        assertThat(portrait.frameFits(528, 720)).isTrue();
        assertThat(portrait.frameFits(722, 528)).isFalse();
        assertThat(portrait.frameFits(528, 722)).isFalse();
        assertThat(portrait.frameFits(530, 530)).isFalse();
    }

    @Test
    void sixteenKHeaderIsRefusedBeforeDecoding() {
        byte[] huge = Videos.header16k();
        assertReason(small().build(), huge, DeadLetterReason.LIMIT_EXCEEDED);
        assertThatThrownBy(() -> decode(small().build(), huge, 0))
                .hasMessageContaining("16000x16000");
    }

    private static void assertReason(DecodeOptions o, byte[] data, DeadLetterReason reason) {
        assertThatThrownBy(() -> decode(o, data, 0))
                .isInstanceOf(DecodeException.class)
                .satisfies(e -> assertThat(((DecodeException) e).reason()).isEqualTo(reason))
                .hasMessageNotContaining("null");
    }
}
