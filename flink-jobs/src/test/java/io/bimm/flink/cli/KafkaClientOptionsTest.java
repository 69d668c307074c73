package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.train.TrainJob;
import io.bimm.flink.train.TrainJobOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class KafkaClientOptionsTest {

    private static final String JAAS =
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
                    + " password=\"s3cret-value\";";

    @Test
    void filesInOrderThenSinglePropertiesOnTop(@TempDir Path tmp) throws Exception {
        Path a =
                file(
                        tmp.resolve("a.properties"),
                        "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n");
        Path b = file(tmp.resolve("b.properties"), "sasl.mechanism=SCRAM-SHA-512\nclient.id=x\n");
        KafkaClientOptions options = new KafkaClientOptions();
        new CommandLine(options)
                .parseArgs(
                        "--kafka-properties", a.toString(),
                        "--kafka-property", "client.id=y",
                        "--kafka-properties", b.toString());
        assertThat(options.properties(System.err))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "security.protocol", "SASL_SSL",
                                "sasl.mechanism", "SCRAM-SHA-512",
                                "client.id", "y"));
    }

    @Test
    void warnsAboutAFileOthersCanReadAndRefusesBootstrapServers(@TempDir Path tmp)
            throws Exception {
        Path open = file(tmp.resolve("open.properties"), "security.protocol=SASL_SSL\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        KafkaClientOptions options = new KafkaClientOptions();
        new CommandLine(options).parseArgs("--kafka-properties", open.toString());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        options.properties(new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("is readable by other users")
                .contains(open.toString());

        KafkaClientOptions withBootstrap = new KafkaClientOptions();
        new CommandLine(withBootstrap).parseArgs("--kafka-property", "bootstrap.servers=x:1");
        assertThatThrownBy(() -> withBootstrap.properties(System.err))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("--bootstrap");

        KafkaClientOptions missing = new KafkaClientOptions();
        new CommandLine(missing).parseArgs("--kafka-properties", tmp.resolve("nope").toString());
        assertThatThrownBy(() -> missing.properties(System.err))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("nope");
    }

    @Test
    void trainPassesOneMaskedOptionPerProperty(@TempDir Path tmp) throws Exception {
        Path f =
                file(
                        tmp.resolve("c.properties"),
                        "security.protocol=SASL_PLAINTEXT\nsasl.jaas.config=" + JAAS + "\n");
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd)
                .parseArgs(
                        "--kafka-properties",
                        f.toString(),
                        "--kafka-property",
                        "sasl.mechanism=PLAIN");
        Configuration conf = cmd.configuration();
        assertThat(TrainJob.kafkaClient(conf))
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("sasl.jaas.config", JAAS);
        assertThat(conf.get(TrainJobOptions.KAFKA_CLIENT)).hasSize(3);
        // What the dashboard shows of a configuration.
        Map<String, String> shown = ConfigurationUtils.hideSensitiveValues(conf.toMap());
        assertThat(shown).containsEntry("kafka.client.security.protocol", "SASL_PLAINTEXT");
        assertThat(shown.toString())
                .contains("kafka.client.sasl.jaas.config")
                .doesNotContain("s3cret");
    }

    private static Path file(Path p, String text) throws Exception {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }
}
