package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.TestConfigs;
import io.bimm.model.bench.SyntheticBatches;
import org.junit.jupiter.api.Test;

class SharedGradientTest {

    private static float[] gradient(Bimm model, MaskedBatch batch, Stage stage, Parameter p) {
        try (NDManager scope = model.getManager().newSubManager()) {
            try (GradientCollector gc = model.getManager().getEngine().newGradientCollector()) {
                NDArray loss =
                        model.forward(
                                        new ParameterStore(scope, false),
                                        batch.toNDList(scope, stage),
                                        true)
                                .head();
                gc.backward(loss);
            }
            NDArray g = p.getArray().getGradient();
            g.attach(scope);
            float[] out = g.toFloatArray();
            for (Parameter q : model.parametersOf(stage)) {
                JniUtils.zeroGrad((PtNDArray) q.getArray());
            }
            return out;
        }
    }

    @Test
    void sharedBlockGradientIsTheSumOfBothBranches() {
        Engine.getInstance().setRandomSeed(11);
        BimmConfig config = TestConfigs.micro().optLambda(0.7f).build();
        MaskedBatch batch = new SyntheticBatches(config, 2).next(2);
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            Parameter shared = model.namedParameters().get("shared_block_1.attn.qkv_weight");
            assertThat(shared).isNotNull();
            float[] joint = gradient(model, batch, Stage.JOINT, shared);
            float[] ventral = gradient(model, batch, Stage.VENTRAL, shared);
            float[] dorsal = gradient(model, batch, Stage.DORSAL, shared); // already x lambda
            double vNorm = 0;
            double dNorm = 0;
            double maxAbs = 0;
            for (int i = 0; i < joint.length; i++) {
                vNorm += ventral[i] * ventral[i];
                dNorm += dorsal[i] * dorsal[i];
                maxAbs = Math.max(maxAbs, Math.abs(joint[i]));
            }
            // both branches really contribute
            assertThat(vNorm).isGreaterThan(1e-10);
            assertThat(dNorm).isGreaterThan(1e-10);
            for (int i = 0; i < joint.length; i++) {
                assertThat((double) joint[i])
                        .isCloseTo(
                                (double) ventral[i] + dorsal[i],
                                org.assertj.core.data.Offset.offset(1e-4 * maxAbs + 1e-9));
            }
        }
    }
}
