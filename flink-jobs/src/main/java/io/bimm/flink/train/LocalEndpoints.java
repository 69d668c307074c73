package io.bimm.flink.train;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;

/**
 * Where the servers of a local MiniCluster listen: the REST endpoint and web dashboard on 127.0.0.1
 * unless {@code rest.bind-address} opens it, without the dashboard's jar upload ({@code
 * web.submit.enable}, which would let anyone who reaches the port run code in this JVM), and the
 * blob server and RPC on 127.0.0.1 (Flink's defaults bind all of them to every interface).
 */
public final class LocalEndpoints {

    /** The address the dashboard listens on unless {@code rest.bind-address} says otherwise. */
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";

    private LocalEndpoints() {}

    /**
     * Sets the dashboard's port and, where {@code conf} does not set them, the closed defaults:
     * {@code rest.bind-address}, {@code jobmanager.bind-host} and {@code taskmanager.bind-host}
     * 127.0.0.1, {@code web.submit.enable} false.
     */
    public static void configure(Configuration conf, int port) {
        conf.set(RestOptions.PORT, port);
        if (!conf.contains(RestOptions.BIND_ADDRESS)) {
            conf.set(RestOptions.BIND_ADDRESS, DEFAULT_BIND_ADDRESS);
        }
        if (!conf.contains(WebOptions.SUBMIT_ENABLE)) {
            conf.set(WebOptions.SUBMIT_ENABLE, false);
        }
        if (!conf.contains(JobManagerOptions.BIND_HOST)) {
            conf.set(JobManagerOptions.BIND_HOST, DEFAULT_BIND_ADDRESS);
        }
        if (!conf.contains(TaskManagerOptions.BIND_HOST)) {
            conf.set(TaskManagerOptions.BIND_HOST, DEFAULT_BIND_ADDRESS);
        }
    }
}
