package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.fault.FaultOptions;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.Preset;
import io.bimm.model.Stage;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainCommandTest {

    @Test
    void helpListsEveryOptionWithDefaultAndReadableDescription() {
        CommandLine cl = BimmCli.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("train", "--help")).isZero();
        String help = out.toString();
        assertThat(help)
                .contains("train.batch-size")
                .contains("default 8")
                .contains("Samples per training step.")
                .contains("Training stage: ventral (image branch, L_V)")
                .doesNotContain("Description@");
        assertThat(TrainJobOptions.all()).allSatisfy(o -> assertThat(help).contains(o.key()));
        // enum defaults as users type them; every option class is listed
        assertThat(help)
                .contains("default joint")
                .contains("default tiny")
                .contains("prep.seed")
                .contains("prep.max-bytes")
                .contains("fault.throw-at-sample");
    }

    @Test
    void unknownKeyOfTheProjectIsRefusedWithTheClosestKey() {
        Run r = run("train", "-D", "train.batchsize=4");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err)
                .startsWith(
                        "bimm: unknown option 'train.batchsize' (did you mean"
                                + " 'train.batch-size'?)\n");
        Run far = run("train", "-D", "model.zzzzzzzzzzzz=1");
        assertThat(far.exit).isEqualTo(2);
        assertThat(far.err).startsWith("bimm: unknown option 'model.zzzzzzzzzzzz'.\n");
        Run other = run("train", "-D", "prep.size=112");
        assertThat(other.exit).isEqualTo(2);
        assertThat(other.err).contains("option 'prep.size' is not read by this command.");
    }

    @Test
    void badValuesAreOneLineUsageErrors() {
        Run r = run("train", "-D", "train.batch-size=four");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err)
                .startsWith(
                        "bimm: bad value 'four' for option 'train.batch-size': expected an"
                                + " integer.\n");
        Run stage = run("train", "--stage", "ventrl");
        assertThat(stage.exit).isEqualTo(2);
        assertThat(stage.err)
                .contains(
                        "bad value 'ventrl' for option 'train.stage': expected one of ventral,"
                                + " joint, dorsal.");
        Run preset = run("train", "-D", "model.preset=huge");
        assertThat(preset.err)
                .contains("expected one of tiny, small, base, large.")
                .doesNotContain("Exception");
        Run device = run("train", "--device", "gpu0,tpu");
        assertThat(device.exit).isEqualTo(2);
        assertThat(device.err)
                .contains("option 'train.device': Unknown device 'tpu' in 'gpu0,tpu'");
        Run interval = run("train", "-D", "train.flink-checkpoint-interval=soon");
        assertThat(interval.err).contains("expected a duration");
    }

    @Test
    void enumsParseAsDocumentedInAnyCase() {
        Configuration conf =
                parse("--stage", "VENTRAL", "--preset", "Base", "-D", "prep.rebalance=Never")
                        .configuration();
        assertThat(conf.get(TrainJobOptions.STAGE)).isEqualTo(Stage.VENTRAL);
        assertThat(conf.get(TrainJobOptions.PRESET)).isEqualTo(Preset.BASE);
        assertThat(conf.get(TrainJobOptions.PREP_REBALANCE))
                .isEqualTo(TrainJobOptions.Rebalance.NEVER);
        assertThat(parse("-D", "train.stage=dorsal").configuration().get(TrainJobOptions.STAGE))
                .isEqualTo(Stage.DORSAL);
        assertThat(TrainJobOptions.device(parse("--device", "gpu0,gpu1").configuration()))
                .hasToString("gpu0,gpu1");
        assertThat(TrainJobOptions.device(parse().configuration()).isAuto()).isTrue();
    }

    @Test
    void flinkKeysPassThroughAndProjectKeysAreKept() {
        Configuration conf =
                parse(
                                "-D",
                                "taskmanager.numberOfTaskSlots=4",
                                "-D",
                                "metrics.reporter.prom.factory.class=x",
                                "-D",
                                "prep.seed=7",
                                "-D",
                                "fault.nan-at-sample=3",
                                "-D",
                                "prep.repeated-sampling=2")
                        .configuration();
        assertThat(conf.toMap())
                .containsEntry("taskmanager.numberOfTaskSlots", "4")
                .containsEntry("metrics.reporter.prom.factory.class", "x");
        assertThat(conf.get(PrepConfigOptions.SEED)).isEqualTo(7L);
        assertThat(conf.get(FaultOptions.NAN_AT_SAMPLE)).isEqualTo(3);
        // the job reads it (deploy/fault-test.sh sets it): every prep.* key the job reads is open
        assertThat(conf.get(PrepConfigOptions.REPEATED_SAMPLING)).isEqualTo(2);
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

    @Test
    void flagsOverrideDynamicProperties() {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd)
                .parseArgs(
                        "--batch-size",
                        "3",
                        "-D",
                        "train.batch-size=5",
                        "-D",
                        "model.preset=small",
                        "--max-steps",
                        "7");
        Configuration conf = cmd.configuration();
        assertThat(conf.get(TrainJobOptions.BATCH_SIZE)).isEqualTo(3);
        assertThat(conf.get(TrainJobOptions.PRESET)).isEqualTo(Preset.SMALL);
        assertThat(conf.get(TrainJobOptions.MAX_STEPS)).isEqualTo(7L);
        assertThat(conf.get(TrainJobOptions.DEVICE)).isEqualTo("auto");
    }
}
