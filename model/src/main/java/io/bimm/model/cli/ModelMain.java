package io.bimm.model.cli;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.bimm.model.Bimm;
import io.bimm.model.bench.TrainBench;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.export.EncoderExporter;
import io.bimm.model.train.Libtorch;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Entry point of the standalone model jar ({@code java -jar model-*-standalone.jar}): the model
 * commands that need only DJL and libtorch, for a GPU node without Flink, Kafka or FFmpeg
 * (docs/gpu.md).
 */
public final class ModelMain {

    private static final String USAGE =
            String.join(
                    "\n",
                    "usage: java -jar model-standalone.jar COMMAND",
                    "  info                          libtorch version, flavor, path and GPUs",
                    "  bench train [options]         training steps on synthetic batches"
                            + " (bench train --help)",
                    "  inspect CHECKPOINT            a checkpoint's manifest and parameter count",
                    "  export CHECKPOINT --out DIR   the two encoders as safetensors");

    private ModelMain() {}

    /** Exits with the code of {@link #run}. */
    public static void main(String[] args) {
        System.exit(run(System.out, args));
    }

    /** Runs a command; 0 on success, 1 when it fails, 2 on bad arguments. */
    public static int run(PrintStream out, String... args) {
        if (args.length == 0) {
            System.err.println(USAGE);
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0]) {
                case "info" -> out.println(Libtorch.detect().describe());
                case "bench" -> {
                    if (rest.length == 0 || !rest[0].equals("train")) {
                        System.err.println(USAGE);
                        return 2;
                    }
                    return TrainBench.run(out, rest);
                }
                case "inspect" -> {
                    if (rest.length != 1) {
                        System.err.println(USAGE);
                        return 2;
                    }
                    inspect(out, Path.of(rest[0]));
                }
                case "export" -> {
                    if (rest.length != 3 || !rest[1].equals("--out")) {
                        System.err.println(USAGE);
                        return 2;
                    }
                    export(out, Path.of(rest[0]), Path.of(rest[2]));
                }
                default -> {
                    System.err.println(USAGE);
                    return 2;
                }
            }
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println(args[0] + ": " + e.getMessage());
            return 1;
        }
    }

    private static void inspect(PrintStream out, Path checkpoint) throws IOException {
        Path dir = Checkpoints.resolve(checkpoint);
        JsonObject manifest = Checkpoints.readManifest(dir);
        try (Bimm model = Checkpoints.loadModel(dir, Device.cpu())) {
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(manifest));
            out.printf(
                    "checkpoint %s: preset %s, %d parameters, step %s%n",
                    dir,
                    model.getConfig().getPreset(),
                    model.parameterCount(),
                    manifest.has("step") ? manifest.get("step").getAsString() : "?");
        }
    }

    private static void export(PrintStream out, Path checkpoint, Path to) throws IOException {
        Path dir = Checkpoints.resolve(checkpoint);
        try (Bimm model = Checkpoints.loadModel(dir, Device.cpu())) {
            EncoderExporter.export(model, to);
            out.println(
                    "exported "
                            + dir.getFileName()
                            + " to "
                            + to
                            + ": "
                            + EncoderExporter.DORSAL_FILE
                            + ", "
                            + EncoderExporter.VENTRAL_FILE);
        }
    }
}
