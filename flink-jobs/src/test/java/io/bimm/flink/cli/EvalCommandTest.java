package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.dataset.MotionClass;
import io.bimm.flink.dataset.MotionDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bimm eval}'s defaults and its refusal to reuse a pretraining run with other settings. */
class EvalCommandTest {

    @TempDir Path dir;

    private EvalCommand parse(String... args) {
        EvalCommand c = new EvalCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void defaultsAreTheDocumentedEvaluation() {
        EvalCommand c = parse();
        assertThat(c.set).isEqualTo("layers");
        assertThat(c.steps).isEqualTo(4000);
        assertThat(c.baseLr).isEqualTo(0.01);
        assertThat(c.batchSize).isEqualTo(8);
        assertThat(c.stage).isEqualTo("dorsal");
        assertThat(c.maskRatio).isEqualTo(0.9);
        assertThat(c.shapes).isEqualTo(1);
        assertThat(c.dataset).isNull(); // resolved to bimm-data/motion-layers when run
        assertThat(c.defaultDatasetName()).isEqualTo("motion-layers");
        assertThat(parse("--shapes", "6", "--set", "directions").defaultDatasetName())
                .isEqualTo("motion-directions-6shapes");
    }

    @Test
    void namesTheLayersSetsDatasetAndRefusesUnknownSetsAndShapedLayers() {
        assertThat(parse("--set", "layers").defaultDatasetName()).isEqualTo("motion-layers");
        EvalCommand unknown =
                parse("--set", "colours", "--dataset", dir.resolve("none").toString());
        assertThatThrownBy(unknown::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("expected directions, kinds, speeds or layers");
        EvalCommand shaped =
                parse(
                        "--set",
                        "layers",
                        "--shapes",
                        "3",
                        "--dataset",
                        dir.resolve("none").toString());
        assertThatThrownBy(shaped::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("--shapes must stay 1");
        assertThat(dir.resolve("none")).doesNotExist();
    }

    @Test
    void refusesToReuseCheckpointsPretrainedWithOtherSettings() throws Exception {
        Path data = dir.resolve("motion");
        MotionDataset.generate(
                data, new MotionDataset.Settings(1, 1, 64, 64, 8, 1, MotionClass.KINDS));
        Path work = dir.resolve("work");
        Path step = work.resolve("pretrain").resolve("step-000000000200");
        Files.createDirectories(step);
        Files.writeString(step.resolve("manifest.json"), "{}");
        EvalCommand c =
                parse(
                        "--dataset",
                        data.toString(),
                        "--work",
                        work.toString(),
                        "--mask-ratio",
                        "0.75");
        // a checkpoint root without the settings file (an older eval) is not reused either
        assertThatThrownBy(c::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("unknown settings")
                .hasMessageContaining("dorsal mask ratio 0.75");
        EvalCommand other = parse("--dataset", data.toString(), "--work", work.toString());
        Files.writeString(
                work.resolve("pretrain").resolve(EvalPretraining.SETTINGS_FILE),
                other.pretrainSettings());
        assertThat(other.pretrainSettings()).contains("dorsal mask ratio 0.9");
        assertThatThrownBy(c::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("dorsal mask ratio 0.9,")
                .hasMessageContaining("delete it or choose another --work");
    }

    @Test
    void refusesAComparedConfigurationWithAnUnknownRecipeOrOptionBeforeAnythingRuns() {
        Path none = dir.resolve("none");
        assertThatThrownBy(parse("--dataset", none.toString(), "--compare", "bimm", "mae")::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("--compare mae: Unknown recipe 'mae'");
        assertThatThrownBy(
                        parse("--dataset", none.toString(), "--compare", "bimm+model.split=2")
                                ::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("'model.split' is not a model option eval varies");
        assertThatThrownBy(
                        parse("--dataset", none.toString(), "--compare", "bimm+model.sharing=some")
                                ::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("model.sharing");
        assertThatThrownBy(parse("--dataset", none.toString(), "-D", "train.batch-size=4")::call)
                .isInstanceOf(UserException.class)
                .hasMessageContaining("train.batch-size");
        assertThat(none).doesNotExist();
    }

    @Test
    void namesAConfigurationOtherThanPlainBimmInItsSettingsAndFolder() {
        EvalVariant splits = EvalVariant.parse("bimm+model.splits=12,12,12");
        assertThat(splits.label()).isEqualTo("bimm+model.splits=12,12,12");
        assertThat(splits.folder()).isEqualTo("bimm_model.splits_12_12_12");
        assertThat(EvalVariant.parse("model.targets=dorsal-motion").label())
                .isEqualTo("bimm+model.targets=dorsal-motion");
        EvalCommand c = parse("--dataset", dir.toString());
        assertThat(c.pretrainSettings()).doesNotContain("config");
        EvalCommand v = parse("--dataset", dir.toString(), "--recipe", "videomae");
        assertThat(v.pretrainSettings()).endsWith(", config videomae");
    }
}
