package io.bimm.flink.cli;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.finetune.ClipTokens;
import io.bimm.flink.finetune.Progress;
import io.bimm.flink.ingest.InputFile;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.npy.NpyWriter;
import io.bimm.flink.sample.DecodeLimits;
import io.bimm.model.Bimm;
import io.bimm.model.Branch;
import io.bimm.model.finetune.EncoderFeatures;
import io.bimm.model.train.BimmTrainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bimm embed}: one feature vector per sampled clip, the encoder with every token visible,
 * its final LayerNorm output averaged over tokens; the building block for retrieval and probes.
 */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = {
            "Write one feature vector per sampled clip as a float32 .npy of shape (clips, D): the"
                    + " encoder with all tokens visible (no masking), its final LayerNorm output"
                    + " averaged over tokens. Row i's file (and draw) is line i of OUT with .txt"
                    + " instead of .npy."
        })
public final class EmbedCommand implements Callable<Integer> {

    @Option(
            names = "--checkpoint",
            required = true,
            paramLabel = "DIR",
            description = "A step-N checkpoint, a latest link, or a checkpoint root.")
    Path checkpoint;

    @Option(
            names = "--video",
            required = true,
            paramLabel = "FILE",
            description = "A video file, or a directory of them (recursive).")
    Path video;

    @Option(
            names = "--branch",
            defaultValue = "dorsal",
            description = "dorsal (all T frames, default) or ventral (one frame, or an image).")
    String branch;

    @Option(
            names = "--deterministic",
            description =
                    "SPEC 1 deterministic sampling: offset 1, scale 1, centre crop, no flip,"
                            + " ventral frame 0; the same file always gives the same features.")
    boolean deterministic;

    @Option(
            names = "--draws",
            defaultValue = "1",
            description =
                    "Random samples per file without --deterministic (default: ${DEFAULT-VALUE}).")
    int draws;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: 0).")
    long seed;

    @Option(
            names = "--stride",
            defaultValue = "4",
            description = "Temporal stride tau (default: ${DEFAULT-VALUE}).")
    int stride;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy", description = "Output.")
    Path out;

    @Option(
            names = "--device",
            defaultValue = "auto",
            description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @CommandLine.Mixin LimitOptions limits;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Branch br = FinetuneCommand.parseBranch(spec, branch);
        if (draws <= 0 || (deterministic && draws != 1)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--draws must be 1 with --deterministic, and positive.");
        }
        DecodeLimits decodeLimits = limits.limits(spec);
        if (!Files.exists(video, LinkOption.NOFOLLOW_LINKS)) {
            throw new UserException("No such file or directory: " + video);
        }
        List<InputFile> files = InputFiles.expand(List.of(video.toString()));
        if (files.isEmpty()) {
            throw new UserException("No files under " + video + ".");
        }
        try (Bimm model =
                FinetuneCommand.openModel(
                        checkpoint, null, BimmTrainer.resolveDevice(device), seed)) {
            DecodeOptions decode =
                    decodeLimits
                            .applyTo(DecodeOptions.builder())
                            .optSize(model.getConfig().getImageSize())
                            .optFrames(model.getConfig().getFrames())
                            .optStride(stride)
                            .optDeterministic(deterministic)
                            .build();
            int d = model.getConfig().getEmbedDim();
            List<float[]> rows = new ArrayList<>();
            List<String> names = new ArrayList<>();
            Progress progress = Progress.onTerminal();
            int rejected = 0;
            try (ClipTokens sampler = new ClipTokens(decode, seed)) {
                for (int i = 0; i < files.size(); i++) {
                    InputFile input = files.get(i);
                    Path f = input.path();
                    for (int draw = 0; draw < draws; draw++) {
                        byte[] tokens;
                        try {
                            tokens = sampler.tokens(input, br, draw);
                        } catch (DecodeException e) {
                            System.err.println(
                                    "rejected "
                                            + f
                                            + ": "
                                            + e.reason().code()
                                            + ": "
                                            + e.getMessage());
                            rejected++;
                            break;
                        }
                        rows.add(EncoderFeatures.extract(model, br, tokens, 1));
                        names.add(f + "\t" + draw);
                    }
                    progress.update(i + 1, files.size(), f.getFileName().toString());
                }
            }
            progress.clear();
            if (rows.isEmpty()) {
                throw new UserException("No clip of " + video + " could be sampled.");
            }
            float[] all = new float[rows.size() * d];
            for (int i = 0; i < rows.size(); i++) {
                System.arraycopy(rows.get(i), 0, all, i * d, d);
            }
            if (out.getParent() != null) {
                Files.createDirectories(out.getParent());
            }
            NpyWriter.writeFloat32(out, all, rows.size(), d);
            Files.write(sidecar(out), names, StandardCharsets.UTF_8);
            System.out.printf(
                    "embedded %d clips from %d files (%d rejected) into %s (%d x %d float32)%n",
                    rows.size(), files.size() - rejected, rejected, out, rows.size(), d);
            return rows.size() > 0 ? 0 : 1;
        }
    }

    /** {@code feats.npy} -> {@code feats.txt}: one line per row, file TAB draw. */
    static Path sidecar(Path npy) {
        String n = npy.getFileName().toString();
        String base = n.endsWith(".npy") ? n.substring(0, n.length() - 4) : n;
        return npy.resolveSibling(base + ".txt");
    }
}
