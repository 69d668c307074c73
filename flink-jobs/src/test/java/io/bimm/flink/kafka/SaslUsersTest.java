package io.bimm.flink.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaslUsersTest {

    @Test
    void readsUserPasswordLinesIntoTheBrokersJaasConfig(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("users");
        Files.writeString(file, "# users\n\nalice = a=b c\nbob=pw2\n");
        SaslUsers users = SaslUsers.read(file);
        assertThat(users.size()).isEqualTo(2);
        assertThat(users.brokerJaasConfig())
                .isEqualTo(
                        "org.apache.kafka.common.security.plain.PlainLoginModule required"
                                + " user_alice=\"a=b c\" user_bob=\"pw2\";");
    }

    @Test
    void refusesWhatWouldBreakTheJaasConfigNamingTheLine(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("users");
        Files.writeString(file, "alice=ok\nbob=say \"hi\"\n");
        assertThatThrownBy(() -> SaslUsers.read(file))
                .hasMessageContaining("bob")
                .hasMessageContaining("line 2")
                .hasMessageContaining("quote");
        Files.writeString(file, "no password here\n");
        assertThatThrownBy(() -> SaslUsers.read(file)).hasMessageContaining("Line 1");
        Files.writeString(file, "bad name=pw\n");
        assertThatThrownBy(() -> SaslUsers.read(file)).hasMessageContaining("'bad name'");
        Files.writeString(file, "# nobody\n");
        assertThatThrownBy(() -> SaslUsers.read(file)).hasMessageContaining("names no user");
        assertThatThrownBy(() -> SaslUsers.of(Map.of("a", "x\\y")))
                .hasMessageContaining("backslash");
    }

    @Test
    void clientPropertiesNameTheUser() {
        assertThat(SaslUsers.clientProperties("alice", "pw"))
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry(
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required"
                                + " username=\"alice\" password=\"pw\";");
    }
}
