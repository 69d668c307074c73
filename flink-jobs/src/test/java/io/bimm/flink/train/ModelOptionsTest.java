package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.model.BimmConfig;
import io.bimm.model.Preset;
import io.bimm.model.Target;
import io.bimm.model.WeightSharing;
import java.util.EnumSet;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** The ablation options as {@link TrainJob#modelConfig} reads them, and the recipes. */
class ModelOptionsTest {

    @Test
    void noOptionsGiveThePresetsConfig() {
        for (Preset p : Preset.values()) {
            Configuration conf = new Configuration();
            conf.set(TrainJobOptions.PRESET, p);
            assertThat(TrainJob.modelConfig(conf).toJson())
                    .isEqualTo(BimmConfig.builder(p).build().toJson());
        }
    }

    @Test
    void everyAxisReachesTheModelConfig() {
        Configuration conf =
                conf(
                        Map.of(
                                "model.splits", "12, 12,12",
                                "model.sharing", "None",
                                "model.targets", "dorsal-motion, dorsal-gabor",
                                "model.loss-weights", "0.5,0,2",
                                "model.lambda", "0.25",
                                "train.stage", "dorsal",
                                "prep.dorsal-mask-ratio", "0.75"));
        BimmConfig c = TrainJob.modelConfig(conf);
        assertThat(c.getSplits()).containsExactly(12, 12, 12);
        assertThat(c.getSharing()).isEqualTo(WeightSharing.NONE);
        assertThat(EnumSet.allOf(Target.class).stream().filter(c::isTargetOn))
                .containsExactly(Target.DORSAL_GABOR, Target.DORSAL_MOTION);
        assertThat(new float[] {c.getWeight(0), c.getWeight(1), c.getWeight(2)})
                .containsExactly(0.5f, 0f, 2f);
        assertThat(c.getLambda()).isEqualTo(0.25f);
        assertThat(c.getDorsalMaskRatio()).isEqualTo(0.75f);
        // large has depth 24: its splits are checked against it
        Configuration large = conf(Map.of("model.preset", "large", "model.splits", "6,12,24"));
        assertThat(TrainJob.modelConfig(large).getSplits()).containsExactly(6, 12, 24);
    }

    @Test
    void badSplitsNameTheKeyAndThePresetDepth() {
        for (String bad :
                new String[] {"2,4", "2,4,24", "4,2,12", "0,4,12", "2,four,12", "2,4,12,"}) {
            assertThatThrownBy(() -> TrainJob.modelConfig(conf(Map.of("model.splits", bad))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(
                            "bad value '"
                                    + bad
                                    + "' for option 'model.splits': expected s1,s2,12 with 0 < s1"
                                    + " <= s2 <= 12 (the depth of preset tiny).");
        }
    }

    @Test
    void targetsAreCheckedAgainstTheStage() {
        assertThatThrownBy(
                        () ->
                                TrainJob.modelConfig(
                                        conf(Map.of("model.targets", "ventral-rgb,ventral-gabor"))))
                .hasMessage(
                        "option 'model.targets' (ventral-rgb,ventral-gabor) has no dorsal target,"
                                + " but train.stage joint trains the dorsal branch: add one of"
                                + " dorsal-gabor,dorsal-contour,dorsal-motion, or choose another"
                                + " train.stage.");
        // the ventral stage does not need a dorsal target
        BimmConfig ventral =
                TrainJob.modelConfig(
                        conf(Map.of("model.targets", "ventral-rgb", "train.stage", "ventral")));
        assertThat(ventral.isTargetOn(Target.VENTRAL_RGB)).isTrue();
        assertThat(ventral.isTargetOn(Target.DORSAL_MOTION)).isFalse();
        assertThatThrownBy(
                        () ->
                                TrainJob.modelConfig(
                                        conf(Map.of("model.targets", "ventral-rgb,dorsal-pixels"))))
                .hasMessageStartingWith(
                        "bad value 'ventral-rgb,dorsal-pixels' for option 'model.targets':"
                                + " 'dorsal-pixels' is no target; expected a comma-separated list"
                                + " of ventral-gabor,");
        assertThatThrownBy(() -> TrainJob.modelConfig(conf(Map.of("model.targets", ""))))
                .hasMessageContaining("for option 'model.targets': '' is no target");
        assertThatThrownBy(
                        () ->
                                TrainJob.modelConfig(
                                        conf(
                                                Map.of(
                                                        "model.targets",
                                                        "dorsal-motion,dorsal-motion"))))
                .hasMessageContaining("'dorsal-motion' is listed twice");
    }

    @Test
    void badWeightsAndLambdaNameTheirKey() {
        for (String bad : new String[] {"1,1", "1,-1,1", "1,x,1", "1,NaN,1", "1,Infinity,1"}) {
            assertThatThrownBy(() -> TrainJob.modelConfig(conf(Map.of("model.loss-weights", bad))))
                    .hasMessage(
                            "bad value '"
                                    + bad
                                    + "' for option 'model.loss-weights': expected three numbers"
                                    + " w1,w2,w3, each >= 0, such as 1,1,1.");
        }
        assertThatThrownBy(() -> TrainJob.modelConfig(conf(Map.of("model.lambda", "-0.5"))))
                .hasMessage("bad value '-0.5' for option 'model.lambda': expected a number >= 0.");
    }

    @Test
    void videomaeRecipeKeepsTheFinalTargetsAndExplicitOptionsWin() {
        Configuration conf = new Configuration();
        Recipe.of("VideoMAE").applyTo(conf);
        BimmConfig c = TrainJob.modelConfig(conf);
        assertThat(EnumSet.allOf(Target.class).stream().filter(c::isTargetOn))
                .containsExactly(Target.VENTRAL_RGB, Target.DORSAL_MOTION);
        assertThat(c.getDorsalMaskRatio()).isEqualTo(0.9f);
        assertThat(c.getSplits()).containsExactly(2, 4, 12);

        Configuration explicit =
                conf(Map.of("model.targets", "dorsal-motion", "train.stage", "dorsal"));
        explicit.set(PrepConfigOptions.DORSAL_MASK_RATIO, 0.75);
        Recipe.VIDEOMAE.applyTo(explicit);
        BimmConfig e = TrainJob.modelConfig(explicit);
        assertThat(EnumSet.allOf(Target.class).stream().filter(e::isTargetOn))
                .containsExactly(Target.DORSAL_MOTION);
        assertThat(e.getDorsalMaskRatio()).isEqualTo(0.75f);
    }

    @Test
    void bimmRecipeIsTheDefaultsAndUnknownRecipesAreNamed() {
        Configuration conf = new Configuration();
        Recipe.of("bimm").applyTo(conf);
        assertThat(conf.toMap()).isEmpty();
        assertThat(TrainJob.modelConfig(conf).toJson())
                .isEqualTo(BimmConfig.builder(Preset.TINY).build().toJson());
        assertThatThrownBy(() -> Recipe.of("mae"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown recipe 'mae', expected one of bimm, videomae.");
    }

    private static Configuration conf(Map<String, String> settings) {
        return Configuration.fromMap(settings);
    }
}
