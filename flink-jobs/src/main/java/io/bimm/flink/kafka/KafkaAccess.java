package io.bimm.flink.kafka;

import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/**
 * Whether a broker accepts a client's credentials: a check before a job starts, and the one-line
 * description of a refusal found in any client's failure.
 */
public final class KafkaAccess {

    private KafkaAccess() {}

    /** The broker refused the client's credentials. */
    public static final class CredentialsRefusedException extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        CredentialsRefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * {@code Kafka at HOST:PORT refused the credentials (SASL authentication failed): ...} when the
     * causes of {@code failure} hold Kafka's {@link AuthenticationException}; else empty.
     */
    public static Optional<String> refusal(String bootstrap, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthenticationException) {
                String kind =
                        t instanceof SaslAuthenticationException
                                ? "SASL authentication failed"
                                : t instanceof SslAuthenticationException
                                        ? "TLS handshake failed"
                                        : "authentication failed";
                String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
                return Optional.of(
                        "Kafka at "
                                + bootstrap
                                + " refused the credentials ("
                                + kind
                                + "): "
                                + msg.strip());
            }
        }
        return Optional.empty();
    }

    /**
     * Asks the cluster for its nodes with {@code client}'s properties.
     *
     * @return true if it answered within {@code timeout}, false if it did not answer (not running,
     *     unreachable, or a listener that expects another protocol)
     * @throws CredentialsRefusedException if it refused the credentials
     */
    public static boolean check(String bootstrap, Properties client, Duration timeout)
            throws CredentialsRefusedException {
        Properties p = adminProperties(bootstrap, client, timeout);
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            Optional<String> refused = refusal(bootstrap, e);
            if (refused.isPresent()) {
                throw new CredentialsRefusedException(refused.get(), e.getCause());
            }
            return false;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Admin client properties: {@code client}'s (those an admin client knows), the bootstrap, and
     * request timeouts bounded by {@code timeout}.
     */
    public static Properties adminProperties(
            String bootstrap, Properties client, Duration timeout) {
        Properties p = new Properties();
        client.forEach(
                (k, v) -> {
                    if (AdminClientConfig.configNames().contains(k.toString())
                            || k.toString().startsWith("config.providers")) {
                        p.put(k, v);
                    }
                });
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        return p;
    }
}
