package io.bimm.flink.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The users a SASL/PLAIN listener of {@link EmbeddedKafka} accepts, read from a file of {@code
 * user=password} lines ({@code #} comments and blank lines skipped).
 */
public final class SaslUsers {

    /** The security protocol of a listener that takes these users. */
    public static final String PROTOCOL = "SASL_PLAINTEXT";

    /** The SASL mechanism. */
    public static final String MECHANISM = "PLAIN";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]+");
    private static final long MAX_FILE_BYTES = 1 << 20;

    private final Map<String, String> passwords;

    private SaslUsers(Map<String, String> passwords) {
        this.passwords = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(passwords));
    }

    /** Users from a map of name to password (tests). */
    public static SaslUsers of(Map<String, String> passwords) {
        passwords.forEach((name, pw) -> check(name, pw, "the users map"));
        if (passwords.isEmpty()) {
            throw new IllegalArgumentException("A SASL listener needs at least one user.");
        }
        return new SaslUsers(new LinkedHashMap<>(passwords));
    }

    /**
     * Reads {@code user=password} lines.
     *
     * @throws IllegalArgumentException naming the file and line of a malformed entry
     * @throws IOException if the file cannot be read
     */
    public static SaslUsers read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(
                    "The users file " + file + " is over " + MAX_FILE_BYTES + " bytes.");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Map<String, String> users = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "Line " + (i + 1) + " of " + file + " is not user=password.");
            }
            String name = line.substring(0, eq).strip();
            String password = line.substring(eq + 1).strip();
            check(name, password, where);
            if (users.put(name, password) != null) {
                throw new IllegalArgumentException("User " + name + " appears twice in " + file);
            }
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("The users file " + file + " names no user.");
        }
        return new SaslUsers(users);
    }

    private static void check(String name, String password, String where) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "User name '"
                            + name
                            + "' in "
                            + where
                            + " may only hold letters, digits and . _ @ -.");
        }
        if (password.isEmpty()) {
            throw new IllegalArgumentException(
                    "User " + name + " in " + where + " has no password.");
        }
        if (password.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x20)) {
            throw new IllegalArgumentException(
                    "The password of "
                            + name
                            + " in "
                            + where
                            + " holds a quote, a backslash or a control character.");
        }
    }

    /** Number of users. */
    public int size() {
        return passwords.size();
    }

    /**
     * The broker-side JAAS configuration of the PLAIN mechanism: one {@code user_NAME="password"}
     * entry per user.
     */
    String brokerJaasConfig() {
        StringBuilder sb =
                new StringBuilder(
                        "org.apache.kafka.common.security.plain.PlainLoginModule required");
        passwords.forEach(
                (name, pw) ->
                        sb.append(" user_").append(name).append("=\"").append(pw).append('"'));
        return sb.append(';').toString();
    }

    /** The client properties of {@code user} with {@code password} for such a listener. */
    public static Map<String, String> clientProperties(String user, String password) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", PROTOCOL);
        p.put("sasl.mechanism", MECHANISM);
        p.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user
                        + "\" password=\""
                        + password
                        + "\";");
        return p;
    }
}
