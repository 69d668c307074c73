package io.bimm.flink.cli;

import io.bimm.flink.kafka.KafkaAccess;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The Kafka client properties of every command that talks to a broker: {@code --kafka-properties
 * FILE} (a Java properties file, as Kafka's own tools read with {@code --command-config}) and
 * {@code --kafka-property KEY=VALUE}, repeatable. Files are read in order, then the single
 * properties on top: the later wins. Secrets belong in the file: the command line is visible to
 * every user of the machine ({@code ps}).
 */
public final class KafkaClientOptions {

    private static final long MAX_FILE_BYTES = 1 << 20;

    @Option(
            names = "--kafka-properties",
            paramLabel = "FILE",
            description =
                    "Kafka client properties file (security.protocol, sasl.*, ssl.*), for every"
                            + " Kafka client of the command; repeatable. Keep it readable by you"
                            + " only (chmod 600).")
    List<Path> files = new ArrayList<>();

    @Option(
            names = "--kafka-property",
            paramLabel = "KEY=VALUE",
            description =
                    "Kafka client property, repeatable, over those of --kafka-properties (e.g."
                            + " security.protocol=SASL_SSL). Secrets go in the file: a command"
                            + " line is visible in ps.")
    Map<String, String> properties = new LinkedHashMap<>();

    /**
     * The merged properties; warns on {@code err} about a file that other users can read.
     *
     * @throws UserException naming a file that cannot be read, or a key bimm sets itself
     */
    public Map<String, String> properties(PrintStream err) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (Path file : files) {
            merged.putAll(read(file, err));
        }
        merged.putAll(properties);
        if (merged.containsKey("bootstrap.servers")) {
            throw new UserException(
                    "bootstrap.servers is given with --bootstrap, not as a Kafka client property.");
        }
        return merged;
    }

    private static Map<String, String> read(Path file, PrintStream err) {
        Properties p = new Properties();
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new UserException(
                        "The Kafka properties file "
                                + file
                                + " is over "
                                + MAX_FILE_BYTES
                                + " bytes.");
            }
            warnIfOthersCanRead(file, err);
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new UserException(
                    "Cannot read the Kafka properties file " + file + ": " + BimmCli.sentence(e),
                    e);
        }
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().stream().sorted().forEach(k -> m.put(k, p.getProperty(k).strip()));
        return m;
    }

    private static void warnIfOthersCanRead(Path file, PrintStream err) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return;
        }
        if (perms.contains(PosixFilePermission.OTHERS_READ)
                || perms.contains(PosixFilePermission.GROUP_READ)) {
            err.println(
                    "bimm: warning: the Kafka properties file "
                            + file
                            + " is readable by other users; if it holds a secret, chmod 600 it.");
        }
    }

    /**
     * When client properties were given, checks that the broker accepts them before a command
     * starts its real work (a Flink job would otherwise restart on the refusal again and again). A
     * broker that does not answer within 30 s is left to the command's own clients.
     *
     * @throws UserException if the broker refuses the credentials
     */
    public void checkCredentials(String bootstrap, Map<String, String> client) {
        if (client.isEmpty()) {
            return;
        }
        Properties p = new Properties();
        p.putAll(client);
        try {
            KafkaAccess.check(bootstrap, p, CHECK_TIMEOUT);
        } catch (KafkaAccess.CredentialsRefusedException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The error a user sees when a command's Kafka client failed: the broker's refusal of the
     * credentials, or that it could not be reached.
     */
    public static UserException failure(String bootstrap, Exception e) {
        return KafkaAccess.refusal(bootstrap, e)
                .map(msg -> new UserException(msg, e))
                .orElseGet(
                        () ->
                                new UserException(
                                        "Cannot reach Kafka at "
                                                + bootstrap
                                                + ": "
                                                + BimmCli.sentence(e)
                                                + ". Is the broker running (./bimm kafka)? Does"
                                                + " it need --kafka-properties?",
                                        e));
    }
}
