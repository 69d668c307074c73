package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.train.TrainJobOptions;
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
        assertThat(conf.get(TrainJobOptions.PRESET)).isEqualTo("small");
        assertThat(conf.get(TrainJobOptions.MAX_STEPS)).isEqualTo(7L);
        assertThat(conf.get(TrainJobOptions.DEVICE)).isEqualTo("auto");
    }
}
