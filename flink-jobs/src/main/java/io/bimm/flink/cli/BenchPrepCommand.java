package io.bimm.flink.cli;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.ingest.IngestException;
import io.bimm.flink.ingest.VideoSegmenter;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.SamplePipeline;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.bytedeco.opencv.global.opencv_core;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bimm bench prep}: the whole per-clip path (decode through masked sample) on one thread, in
 * training mode, over the videos of a directory, R samples per decoded record ({@code --repeat});
 * prints the per-stage split per clip (sample) and per record, then {@code prep
 * clips_per_s_per_core=X} (samples per CPU-second) as the last line.
 */
@Command(
        name = "prep",
        mixinStandardHelpOptions = true,
        description = "Measure preprocessing throughput on one core.")
public final class BenchPrepCommand implements Callable<Integer> {
    @Option(
            names = "--videos",
            description = "Directory of videos (default ../shared/data/videos).")
    Path videos;

    @Mixin SamplingOptions sampling;

    @Option(
            names = "--deterministic",
            description = "Offset 1 (decode only the window), scale 1, center crop.")
    boolean deterministic;

    @Option(
            names = "--seconds",
            defaultValue = "20",
            description = "Measured time (default 20), rounded up to whole passes over the clips.")
    double seconds;

    @Option(
            names = "--warmup-seconds",
            defaultValue = "5",
            description =
                    "Time run before the measurement, not counted (default 5; at least one pass"
                            + " over the clips): the JIT compiles the hot paths meanwhile.")
    double warmupSeconds;

    @Option(
            names = "--segment-seconds",
            defaultValue = "4",
            description =
                    "Cut the videos into clips as `bimm ingest` does (keyframe segments of about"
                            + " this length, default 4, the ingest default) and measure those: the"
                            + " records the job sees. 0 measures whole files as single clips.")
    double segmentSeconds;

    @Option(
            names = "--repeat",
            description =
                    "Samples R per decoded record (prep.repeated-sampling; default the job's"
                            + " default). Clips are samples: R of them per record.")
    Integer repeat;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Runs {@code prep} with the given arguments; returns the exit code. */
    public static int run(String... args) {
        return new CommandLine(new BenchPrepCommand()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = videos != null ? videos : defaultVideos();
        List<byte[]> clips = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int videoCount = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                videoCount++;
                byte[] bytes = Files.readAllBytes(f);
                String name = f.getFileName().toString();
                if (segmentSeconds <= 0) {
                    clips.add(bytes);
                    names.add(name);
                    continue;
                }
                try {
                    new VideoSegmenter(segmentSeconds)
                            .segment(
                                    f,
                                    bytes,
                                    (probe, seg) -> {
                                        clips.add(seg.data());
                                        names.add(name + "-" + seg.index());
                                    });
                } catch (IngestException e) {
                    spec.commandLine().getErr().println("Skipping " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            spec.commandLine().getErr().println("Cannot read videos in " + dir + ": " + e);
            return 1;
        }
        if (clips.isEmpty()) {
            spec.commandLine().getErr().println("No videos in " + dir);
            return 1;
        }
        opencv_core.setNumThreads(1);
        DecodeOptions decode = sampling.decode().optDeterministic(deterministic).build();
        int r = repeat != null ? repeat : PrepConfigOptions.DEFAULT_REPEATED_SAMPLING;
        PrepOptions prep;
        try {
            prep = PrepOptions.of(decode, 42).withRepeatedSampling(r);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("--repeat: " + e.getMessage());
            return 2;
        }
        try (SamplePipeline p = new SamplePipeline(prep)) {
            int draw = 0;
            long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            for (int w = 0; w < clips.size() || System.nanoTime() < warmEnd; w++) {
                int i = w % clips.size();
                once(p, clips.get(i), names.get(i), draw++); // warm-up, not counted
            }
            long[] base = p.stageCpuNanos();
            int framesBase = p.framesDecoded();
            com.sun.management.OperatingSystemMXBean mx =
                    (com.sun.management.OperatingSystemMXBean)
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpuStart = mx.getProcessCpuTime();
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long sharedBase = p.sharedTargetFrames();
            int n = 0;
            int dead = 0;
            // Whole passes over the inputs: each clip equally often, whatever R and the load
            // (a few records of the first, cheapest inputs would not be the mix).
            while (System.nanoTime() < end || n % clips.size() != 0 || n == 0) {
                int i = n % clips.size();
                if (!once(p, clips.get(i), names.get(i), draw++)) {
                    dead++;
                }
                n++;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            int samples = (n - dead) * r;
            double cpu = (mx.getProcessCpuTime() - cpuStart) / 1e9;
            long[] st = p.stageCpuNanos();
            out.printf(
                    Locale.ROOT,
                    "prep S=%d T=%d tau=%d mode=%s videos=%d segment_s=%s inputs=%d repeat=%d"
                            + " records=%d clips=%d dead_letters=%d seconds=%.1f"
                            + " frames_decoded_per_s=%.0f shared_target_frames=%d%n",
                    sampling.size,
                    sampling.frames,
                    sampling.stride,
                    deterministic ? "deterministic" : "training",
                    videoCount,
                    segmentSeconds <= 0 ? "whole" : String.valueOf(segmentSeconds),
                    clips.size(),
                    r,
                    n,
                    samples,
                    dead,
                    elapsed,
                    (p.framesDecoded() - framesBase) / elapsed,
                    p.sharedTargetFrames() - sharedBase);
            // Stage costs in CPU time of the processing thread: what one core spends per record
            // (one decode, R samples) and per clip (sample).
            double total = 0;
            for (int s = 0; s < SamplePipeline.STAGES.length; s++) {
                total += st[s] - base[s];
            }
            for (int s = 0; s < SamplePipeline.STAGES.length; s++) {
                double ms = (st[s] - base[s]) / 1e6;
                out.printf(
                        Locale.ROOT,
                        "stage %s cpu_ms_per_clip=%.1f cpu_ms_per_record=%.1f share=%.0f%%%n",
                        SamplePipeline.STAGES[s],
                        ms / Math.max(1, samples),
                        ms / n,
                        100.0 * (st[s] - base[s]) / total);
            }
            // Per core = per CPU-second of the whole process (GC, JIT and any native threads
            // included), so other load on the machine does not distort it; wall rate beside it.
            out.printf(
                    Locale.ROOT,
                    "wall clips_per_s=%.2f records_per_s_per_core=%.2f cpu_seconds=%.1f%n",
                    samples / elapsed,
                    n / cpu,
                    cpu);
            out.printf(Locale.ROOT, "prep clips_per_s_per_core=%.2f%n", samples / cpu);
        }
        out.flush();
        return 0;
    }

    private static boolean once(SamplePipeline p, byte[] data, String name, int draw) {
        try {
            p.processRecord(data, name, draw);
            return true;
        } catch (DecodeException e) {
            return false;
        }
    }

    /** {@code ../shared/data/videos} relative to the repository root (the first dir with .git). */
    static Path defaultVideos() {
        Path cwd = Path.of("").toAbsolutePath();
        for (Path d = cwd; d != null; d = d.getParent()) {
            if (Files.exists(d.resolve(".git"))) {
                return d.resolve("../shared/data/videos").normalize();
            }
        }
        return cwd.resolve("../shared/data/videos").normalize();
    }
}
