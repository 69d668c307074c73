package io.bimm.flink.cli;

import ai.djl.Device;
import io.bimm.model.Bimm;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.export.EncoderExporter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bimm export}: a checkpoint's two encoders as safetensors with the key names VideoMAE's and
 * timm's finetuning code load (SPEC 6), plus {@code config.json} and a README.
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Export a checkpoint's encoders for finetuning in PyTorch: encoder-dorsal.safetensors"
                    + " (VideoMAE keys), encoder-ventral.safetensors (timm keys), config.json and"
                    + " README.md (how to load them)."
        })
public final class ExportCommand implements Callable<Integer> {

    @Option(
            names = "--checkpoint",
            required = true,
            paramLabel = "DIR",
            description = "A step-N checkpoint, a latest link, or a checkpoint root (its latest).")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path dir;
        try {
            dir = Checkpoints.resolve(checkpoint);
        } catch (NoSuchFileException e) {
            throw new UserException("No checkpoint at " + checkpoint + ".");
        }
        try (Bimm model = Checkpoints.loadModel(dir, Device.cpu())) {
            EncoderExporter.export(model, out);
            System.out.println(
                    "exported "
                            + dir.getFileName()
                            + " (preset "
                            + model.getConfig().getPreset()
                            + ") to "
                            + out
                            + ": "
                            + EncoderExporter.DORSAL_FILE
                            + ", "
                            + EncoderExporter.VENTRAL_FILE
                            + ", config.json, README.md");
        }
        return 0;
    }
}
