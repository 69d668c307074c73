package io.bimm.flink.cli;

import io.bimm.flink.dataset.MotionClass;
import io.bimm.flink.dataset.MotionDataset;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bimm gen-dataset}: writes the generated motion set (textured shapes whose classes differ
 * only by their motion) as video files, one folder per class, split into train and val.
 */
@Command(
        name = "gen-dataset",
        mixinStandardHelpOptions = true,
        description = {
            "Generate a labeled video set: textured shapes on textured backgrounds moving right,"
                    + " left, up or down, expanding or contracting. Appearance is drawn alike for"
                    + " every class, so only motion tells them apart. With --shapes N, N shapes"
                    + " per clip, each moving by the clip's class.",
            "Writes OUT/train/<class>/*.mp4 and OUT/val/<class>/*.mp4 (MPEG-4, 25 fps)."
        })
public final class GenDatasetCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(
            names = "--train-per-class",
            defaultValue = "40",
            description = "Training clips per class (default: ${DEFAULT-VALUE}).")
    int trainPerClass;

    @Option(
            names = "--val-per-class",
            defaultValue = "15",
            description = "Validation clips per class (default: ${DEFAULT-VALUE}).")
    int valPerClass;

    @Option(
            names = "--size",
            defaultValue = "128",
            description = "Frame width and height in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(
            names = "--frames",
            defaultValue = "40",
            description = "Frames per clip (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--set",
            defaultValue = "directions",
            description =
                    "directions (default: right, left, up, down, expand, contract), kinds"
                            + " (still, translate, scale, spin, drift; each in a random direction)"
                            + " or speeds (still, slow, steady, fast, rapid: translation in a"
                            + " random direction at 0.5, 1, 2 or 4 times a drawn base speed)"
                            + " or layers (neither, red, blue, both: which of two transparent"
                            + " colour layers over a static grey texture move).")
    String set;

    @Option(
            names = "--shapes",
            defaultValue = "1",
            description =
                    "Shapes per clip, all moving by the clip's class (default: ${DEFAULT-VALUE}).")
    int shapes;

    @Override
    public Integer call() throws Exception {
        MotionDataset.Settings s;
        try {
            s =
                    new MotionDataset.Settings(
                            trainPerClass,
                            valPerClass,
                            size,
                            size,
                            frames,
                            seed,
                            MotionClass.set(set),
                            shapes);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        long t0 = System.nanoTime();
        int n = MotionDataset.generate(out, s);
        System.out.printf(
                "generated %d clips (%d classes: %s) in %s/train and %s/val in %.1f s%n",
                n,
                s.classes().size(),
                String.join(", ", s.classes().stream().map(MotionClass::folder).toList()),
                out,
                out,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
