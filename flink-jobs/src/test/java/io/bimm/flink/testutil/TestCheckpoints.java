package io.bimm.flink.testutil;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.TrainOptions;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Model checkpoints for tests: a small model with every parameter moved off its init. */
public final class TestCheckpoints {

    private TestCheckpoints() {}

    /**
     * A micro config (D 96, depth 6, splits 2-4-6) at input size {@code s} and {@code t} frames.
     */
    public static BimmConfig micro(int s, int t) {
        return BimmConfig.builder(io.bimm.model.Preset.TINY)
                .optImageSize(s)
                .optFrames(t)
                .optEmbedDim(96, 3)
                .optDecoder(64, 2, 1, 1, 2)
                .optSplits(2, 4, 6)
                .build();
    }

    /**
     * Writes a checkpoint of a model of {@code config} under {@code root} with a {@code latest}
     * link; parameters random (zero biases and unit norms would hide layout bugs).
     */
    public static Path write(Path root, BimmConfig config, long seed) throws IOException {
        Engine.getInstance().setRandomSeed((int) seed);
        Random random = new Random(seed);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                float[] v = new float[(int) a.size()];
                boolean norm = e.getKey().contains("norm");
                for (int i = 0; i < v.length; i++) {
                    v[i] =
                            (float)
                                    ((norm && e.getKey().endsWith("weight") ? 1 : 0)
                                            + random.nextGaussian() * (norm ? 0.1 : 0.05));
                }
                a.set(FloatBuffer.wrap(v));
            }
            BimmTrainer trainer =
                    new BimmTrainer(model, TrainOptions.builder().optBatchSize(1).build());
            Path dir = Checkpoints.save(trainer, root, Map.of());
            Files.createSymbolicLink(root.resolve("latest"), dir.getFileName());
            return dir;
        }
    }
}
