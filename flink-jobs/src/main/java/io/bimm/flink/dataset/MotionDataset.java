package io.bimm.flink.dataset;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Writes the generated motion set as real video files (MPEG-4 Part 2 in MP4, which the LGPL FFmpeg
 * of JavaCV encodes), one folder per class under {@code train/} and {@code val/}: the layout {@code
 * bimm finetune} reads. Clip {@code i} of a split is a pure function of (seed, split, class, i).
 */
public final class MotionDataset {
    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR); // the encoder's info lines are noise here
    }

    /** Generation settings. */
    public record Settings(
            int trainPerClass,
            int valPerClass,
            int width,
            int height,
            int frames,
            long seed,
            List<MotionClass> classes,
            int shapes) {
        /** The {@code directions} set, one shape per clip. */
        public Settings(
                int trainPerClass, int valPerClass, int width, int height, int frames, long seed) {
            this(trainPerClass, valPerClass, width, height, frames, seed, MotionClass.DIRECTIONS);
        }

        /** One shape per clip. */
        public Settings(
                int trainPerClass,
                int valPerClass,
                int width,
                int height,
                int frames,
                long seed,
                List<MotionClass> classes) {
            this(trainPerClass, valPerClass, width, height, frames, seed, classes, 1);
        }

        public Settings {
            if (trainPerClass <= 0 || valPerClass <= 0 || frames < 2) {
                throw new IllegalArgumentException(
                        "Need at least one clip per class and split, and 2 frames.");
            }
            if (shapes < 1) {
                throw new IllegalArgumentException("Need at least one shape per clip: " + shapes);
            }
            if (classes.stream().anyMatch(MotionClass::isLayerClass)
                    && (shapes != 1 || !classes.stream().allMatch(MotionClass::isLayerClass))) {
                throw new IllegalArgumentException(
                        "The layers set has no shapes (--shapes must stay 1) and mixes with no"
                                + " other classes.");
            }
            if (width < 32 || height < 32 || width % 2 != 0 || height % 2 != 0) {
                throw new IllegalArgumentException(
                        "Frame size must be even and at least 32x32: " + width + "x" + height);
            }
        }

        /**
         * The defaults of {@code bimm gen-dataset}: 40 + 15 clips per class, 128x128, 40 frames.
         */
        public static Settings defaults(List<MotionClass> classes) {
            return new Settings(40, 15, 128, 128, 40, 1, classes);
        }

        /** These settings with {@code n} shapes per clip. */
        public Settings withShapes(int n) {
            return new Settings(
                    trainPerClass, valPerClass, width, height, frames, seed, classes, n);
        }
    }

    private MotionDataset() {}

    /** Writes both splits under {@code out}; returns the number of files written. */
    public static int generate(Path out, Settings s) throws IOException {
        int n = 0;
        for (String split : new String[] {"train", "val"}) {
            int per = split.equals("train") ? s.trainPerClass() : s.valPerClass();
            for (MotionClass c : s.classes()) {
                Path dir = out.resolve(split).resolve(c.folder());
                Files.createDirectories(dir);
                for (int i = 0; i < per; i++) {
                    SplittableRandom rnd =
                            new SplittableRandom(
                                    s.seed() * 1_000_003L
                                            + (split.equals("train") ? 0 : 500_000L)
                                            + c.ordinal() * 10_007L
                                            + i);
                    RenderedClip video =
                            c.isLayerClass()
                                    ? new LayerVideo(c, s.width(), s.height(), rnd)
                                    : new MotionVideo(
                                            c, s.width(), s.height(), s.frames(), s.shapes(), rnd);
                    write(video, dir.resolve(String.format("%s-%04d.mp4", c.folder(), i)), s);
                    n++;
                }
            }
        }
        return n;
    }

    /** Encodes one clip at 25 fps, near-lossless quality. */
    static void write(RenderedClip video, Path file, Settings s) throws IOException {
        BufferedImage img = new BufferedImage(s.width(), s.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] raster = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        try (FFmpegFrameRecorder r =
                        new FFmpegFrameRecorder(file.toFile(), s.width(), s.height(), 0);
                Java2DFrameConverter conv = new Java2DFrameConverter()) {
            r.setFormat("mp4");
            r.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
            r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            r.setFrameRate(25);
            r.setGopSize(12);
            r.setVideoQuality(2); // qscale 2: visually lossless
            r.start();
            for (int t = 0; t < s.frames(); t++) {
                System.arraycopy(video.frame(t), 0, raster, 0, raster.length);
                r.record(conv.convert(img));
            }
            r.stop();
        }
    }
}
