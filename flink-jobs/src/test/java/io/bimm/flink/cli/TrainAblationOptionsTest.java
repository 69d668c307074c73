package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.train.ModelOptions;
import io.bimm.flink.train.TrainJob;
import io.bimm.model.BimmConfig;
import io.bimm.model.Target;
import io.bimm.model.WeightSharing;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bimm train}'s ablation options ({@code -D model.*}) and {@code --recipe}. */
class TrainAblationOptionsTest {

    @Test
    void helpListsTheAblationOptionsAndTheRecipe() {
        CommandLine cl = BimmCli.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("train", "--help")).isZero();
        assertThat(out.toString())
                .contains("--recipe=NAME")
                .contains("model.splits")
                .contains("model.sharing")
                .contains("default partial")
                .contains("model.targets")
                .contains("default ventral-gabor,ventral-contour,")
                .contains("model.loss-weights")
                .contains("model.lambda");
    }

    @Test
    void modelOptionsAreAcceptedAndReachTheModelConfig() {
        Configuration conf =
                parse(
                                "--stage",
                                "dorsal",
                                "-D",
                                "model.splits=12,12,12",
                                "-D",
                                "model.sharing=none",
                                "-D",
                                "model.targets=dorsal-motion",
                                "-D",
                                "model.loss-weights=1,1,2",
                                "-D",
                                "model.lambda=0.5")
                        .configuration();
        BimmConfig c = TrainJob.modelConfig(conf);
        assertThat(c.getSplits()).containsExactly(12, 12, 12);
        assertThat(c.getSharing()).isEqualTo(WeightSharing.NONE);
        assertThat(c.isTargetOn(Target.DORSAL_MOTION)).isTrue();
        assertThat(c.isTargetOn(Target.DORSAL_GABOR)).isFalse();
        assertThat(c.getWeight(2)).isEqualTo(2f);
        assertThat(c.getLambda()).isEqualTo(0.5f);
    }

    @Test
    void recipeFillsOnlyWhatTheUserDidNotSet() {
        Configuration recipe = parse("--recipe", "videomae").configuration();
        assertThat(recipe.get(ModelOptions.TARGETS)).isEqualTo("ventral-rgb,dorsal-motion");
        assertThat(recipe.get(PrepConfigOptions.DORSAL_MASK_RATIO)).isEqualTo(0.9);
        Configuration explicit =
                parse(
                                "--recipe",
                                "videomae",
                                "-D",
                                "prep.dorsal-mask-ratio=0.75",
                                "-D",
                                "model.targets=ventral-rgb,dorsal-contour,dorsal-motion")
                        .configuration();
        assertThat(explicit.get(ModelOptions.TARGETS))
                .isEqualTo("ventral-rgb,dorsal-contour,dorsal-motion");
        assertThat(explicit.get(PrepConfigOptions.DORSAL_MASK_RATIO)).isEqualTo(0.75);
    }

    @Test
    void badModelOptionsAndRecipesAreOneLineUsageErrors() {
        Run splits = run("train", "-D", "model.splits=2,4");
        assertThat(splits.exit).isEqualTo(2);
        assertThat(splits.err)
                .startsWith(
                        "bimm: bad value '2,4' for option 'model.splits': expected s1,s2,12 with"
                                + " 0 < s1 <= s2 <= 12 (the depth of preset tiny).\n");
        Run targets = run("train", "--stage", "joint", "-D", "model.targets=dorsal-motion");
        assertThat(targets.exit).isEqualTo(2);
        assertThat(targets.err)
                .startsWith("bimm: option 'model.targets' (dorsal-motion) has no ventral target");
        Run sharing = run("train", "-D", "model.sharing=some");
        assertThat(sharing.exit).isEqualTo(2);
        assertThat(sharing.err)
                .startsWith(
                        "bimm: bad value 'some' for option 'model.sharing': expected one of none,"
                                + " partial, all.\n");
        Run recipe = run("train", "--recipe", "mae");
        assertThat(recipe.exit).isEqualTo(2);
        assertThat(recipe.err)
                .startsWith("bimm: Unknown recipe 'mae', expected one of bimm, videomae.\n");
        Run typo = run("train", "-D", "model.target=dorsal-motion");
        assertThat(typo.exit).isEqualTo(2);
        assertThat(typo.err).contains("(did you mean 'model.targets'?)");
    }

    private static TrainCommand parse(String... args) {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    private record Run(int exit, String err) {}

    private static Run run(String... args) {
        CommandLine cl = BimmCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, err.toString());
    }
}
