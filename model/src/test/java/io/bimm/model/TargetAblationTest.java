package io.bimm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.nn.Parameter;
import io.bimm.model.bench.SyntheticBatches;
import io.bimm.model.train.BimmTrainer;
import io.bimm.model.train.StepResult;
import io.bimm.model.train.TrainOptions;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A target switched off (paper Table 7, "Ablation of prediction target") has no decoder, so no
 * decoder parameters, and contributes no loss.
 */
class TargetAblationTest {

    @Test
    void aDisabledTargetHasNoDecoderParameters() {
        BimmConfig full = TestConfigs.micro().build();
        BimmConfig.Builder b = TestConfigs.micro();
        for (Target t : Target.values()) {
            b.optTarget(t, t == Target.DORSAL_MOTION);
        }
        BimmConfig motionOnly = b.build();
        try (Bimm all = Bimm.newModel(full, Device.cpu());
                Bimm one = Bimm.newModel(motionOnly, Device.cpu())) {
            Set<String> decoders =
                    one.namedParameters().keySet().stream()
                            .filter(n -> n.startsWith("decoder_"))
                            .map(n -> n.substring(0, n.indexOf('.')))
                            .collect(Collectors.toSet());
            assertThat(decoders).containsExactly("decoder_dorsal_motion");
            // the ablated model is the full one without the five other decoders' tensors
            long removed = 0;
            for (Map.Entry<String, Parameter> e : all.namedParameters().entrySet()) {
                if (e.getKey().startsWith("decoder_")
                        && !e.getKey().startsWith("decoder_dorsal_motion.")) {
                    removed += e.getValue().getShape().size();
                } else {
                    assertThat(one.namedParameters()).containsKey(e.getKey());
                }
            }
            assertThat(removed).isPositive();
            assertThat(one.parameterCount()).isEqualTo(all.parameterCount() - removed);
            assertThat(Bimm.parameterCount(motionOnly)).isEqualTo(one.parameterCount());
            assertThatThrownBy(
                            () ->
                                    one.forwardDecoder(
                                            null, Target.DORSAL_GABOR, null, null, null, false))
                    .hasMessage(
                            "Target dorsal_gabor is switched off in this model: it has no"
                                    + " decoder.");
        }
    }

    @Test
    void aDisabledTargetContributesNoLoss() {
        Engine.getInstance().setRandomSeed(3);
        BimmConfig config =
                TestConfigs.micro()
                        .optTarget(Target.VENTRAL_GABOR, false)
                        .optTarget(Target.DORSAL_CONTOUR, false)
                        .optWeights(1f, 2f, 3f)
                        .optLambda(0.5f)
                        .build();
        try (Bimm model = Bimm.newModel(config, Device.cpu())) {
            BimmTrainer trainer =
                    new BimmTrainer(model, TrainOptions.builder().optStage(Stage.JOINT).build());
            StepResult r = trainer.step(new SyntheticBatches(config, 1).next(2));
            Map<String, Float> l = r.losses();
            assertThat(l)
                    .containsOnlyKeys(
                            "ventral_contour", "ventral_rgb", "dorsal_gabor", "dorsal_motion");
            float expected =
                    2 * l.get("ventral_contour")
                            + 3 * l.get("ventral_rgb")
                            + 0.5f * (l.get("dorsal_gabor") + 3 * l.get("dorsal_motion"));
            assertThat(r.total()).isCloseTo(expected, within(1e-4f * expected));
        }
    }
}
