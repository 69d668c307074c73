package io.bimm.flink.cli;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.ingest.IngestException;
import io.bimm.flink.ingest.InputFile;
import io.bimm.flink.npy.NpyWriter;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.SamplePipeline;
import io.bimm.flink.targets.ClipTargets;
import io.bimm.flink.targets.GaborBank;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bimm targets}: runs the preprocessing code on one video file and writes what the model is
 * asked to predict as NumPy files (SPEC sections 1-3).
 */
@Command(
        name = "targets",
        mixinStandardHelpOptions = true,
        description = "Decode one video and write its sampled frames, targets and masks as .npy.")
public final class TargetsCommand implements Callable<Integer> {
    @Option(names = "--video", required = true, description = "Video file.")
    Path video;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Mixin SamplingOptions sampling;

    @Mixin LimitOptions limits;

    @Option(names = "--deterministic", description = "Offset 1, scale 1, center crop, no flip.")
    boolean deterministic;

    @Option(names = "--seed", description = "Run seed; also writes the ventral and dorsal masks.")
    Long seed;

    @Option(names = "--png", description = "Also write grid.png: frame, prev, contour, motion.")
    boolean png;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Runs the command as the CLI would; returns the exit code (0, 1 failure, 2 usage). */
    public static int run(String... args) {
        return new CommandLine(new TargetsCommand()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        DecodeOptions decode;
        try {
            decode =
                    limits.limits(spec)
                            .applyTo(sampling.decode())
                            .optDeterministic(deterministic)
                            .build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        byte[] data;
        try {
            // The same rules as ingest: a regular file, read no further than the clip limit.
            data = InputFile.named(video).read(decode.maxBytes(), "-D prep.max-bytes").bytes();
        } catch (IngestException e) {
            err.println("Cannot use " + video + ": " + e.reason().code() + ": " + e.getMessage());
            return 1;
        }
        try (SamplePipeline pipeline =
                new SamplePipeline(PrepOptions.of(decode, seed == null ? 0 : seed))) {
            pipeline.process(data, video.getFileName().toString(), 0);
            write(pipeline);
        } catch (DecodeException e) {
            err.println("Cannot use " + video + ": " + e.reason().code() + ": " + e.getMessage());
            return 1;
        }
        spec.commandLine().getOut().println("Wrote targets of " + video + " to " + out);
        return 0;
    }

    private void write(SamplePipeline p) throws IOException {
        Files.createDirectories(out);
        DecodedClip clip = p.lastClip();
        ClipTargets t = p.lastTargets();
        int s = sampling.size;
        int px = s * s * 3;
        byte[] x = new byte[sampling.frames * px];
        byte[] y = new byte[sampling.frames * px];
        for (int i = 0; i < sampling.frames; i++) {
            System.arraycopy(clip.x()[i], 0, x, i * px, px);
            System.arraycopy(clip.y()[i], 0, y, i * px, px);
        }
        NpyWriter.writeUint8(out.resolve("frames.npy"), x, sampling.frames, s, s, 3);
        NpyWriter.writeUint8(out.resolve("prev.npy"), y, sampling.frames, s, s, 3);
        NpyWriter.writeFloat32(
                out.resolve("gabor.npy"),
                t.gabor(),
                sampling.frames,
                s / 8,
                s / 8,
                GaborBank.FILTERS);
        NpyWriter.writeUint8(out.resolve("contour.npy"), t.contour(), sampling.frames, s, s);
        NpyWriter.writeUint8(out.resolve("motion.npy"), t.motion(), sampling.frames, s, s, 3);
        if (seed != null) {
            int g = s / 16;
            NpyWriter.writeBool(
                    out.resolve("ventral_mask.npy"), p.lastVentralMask().toBooleans(), g * g);
            NpyWriter.writeBool(
                    out.resolve("dorsal_mask.npy"),
                    p.lastDorsalMask().toBooleans(),
                    sampling.frames / 2 * g * g);
        }
        if (png) {
            writeGrid(x, y, t.contour(), t.motion());
        }
    }

    /** One row per sampled frame: frame, previous frame, contour (white), motion. */
    private void writeGrid(byte[] x, byte[] y, byte[] contour, byte[] motion) throws IOException {
        int s = sampling.size;
        BufferedImage img =
                new BufferedImage(4 * s, sampling.frames * s, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < sampling.frames; i++) {
            for (int r = 0; r < s; r++) {
                for (int c = 0; c < s; c++) {
                    int p = (i * s + r) * s + c;
                    img.setRGB(c, i * s + r, rgb(x, 3 * p));
                    img.setRGB(s + c, i * s + r, rgb(y, 3 * p));
                    int e = contour[p] != 0 ? 0xFFFFFF : 0;
                    img.setRGB(2 * s + c, i * s + r, e);
                    img.setRGB(3 * s + c, i * s + r, rgb(motion, 3 * p));
                }
            }
        }
        ImageIO.write(img, "png", out.resolve("grid.png").toFile());
    }

    private static int rgb(byte[] a, int i) {
        return ((a[i] & 0xFF) << 16) | ((a[i + 1] & 0xFF) << 8) | (a[i + 2] & 0xFF);
    }
}
