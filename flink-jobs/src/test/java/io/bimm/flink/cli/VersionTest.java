package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class VersionTest {

    @Test
    void printsTheProjectVersion() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new BimmCli()).setOut(new PrintWriter(out));
        assertThat(cli.execute("--version")).isZero();
        // The pom's version (filtered into version.properties), not "bimm dev".
        assertThat(out.toString().trim()).matches("bimm \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }
}
