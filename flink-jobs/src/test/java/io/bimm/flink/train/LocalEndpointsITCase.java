package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bimm.flink.cli.DashboardOptions;
import io.bimm.flink.testutil.ListeningSockets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The local MiniCluster's servers, as the kernel sees their sockets: by default the REST endpoint
 * on 127.0.0.1 without the jar handlers, and every other server of the cluster on 127.0.0.1 too;
 * with {@code --bind-address 0.0.0.0} the REST endpoint on every interface. A MiniCluster with
 * Flink's own defaults (the port alone, as bimm set before) is the control: it listens on every
 * interface and has the jar handlers, so the assertions can tell the two apart.
 */
class LocalEndpointsITCase {

    @Test
    void closedByDefaultOpenedByBindAddress() throws Exception {
        assumeTrue(ListeningSockets.available(), "needs /proc/net/tcp");

        Configuration closed = new Configuration();
        int port = freePort();
        LocalEndpoints.configure(closed, port);
        Seen byDefault = start(closed, port);
        assertThat(byDefault.addresses())
                .containsExactly(InetAddress.getByName(LocalEndpoints.DEFAULT_BIND_ADDRESS));
        assertThat(byDefault.jarsStatus()).isEqualTo(404);
        // Nothing else of the cluster (blob server, RPC) listens beyond this machine either.
        assertThat(byDefault.all()).isNotEmpty().allMatch(a -> a.getAddress().isLoopbackAddress());

        Configuration open = new Configuration();
        DashboardOptions options = new DashboardOptions();
        new CommandLine(options).parseArgs("--bind-address", "0.0.0.0");
        options.applyTo(open);
        port = freePort();
        LocalEndpoints.configure(open, port);
        Seen opened = start(open, port);
        assertThat(opened.addresses()).isNotEmpty().allMatch(InetAddress::isAnyLocalAddress);
        assertThat(opened.jarsStatus()).isEqualTo(404);
        assertThat(opened.all())
                .filteredOn(a -> a.getPort() != opened.port())
                .allMatch(a -> a.getAddress().isLoopbackAddress());

        Configuration flinkDefaults = new Configuration();
        port = freePort();
        flinkDefaults.set(RestOptions.PORT, port);
        Seen control = start(flinkDefaults, port);
        assertThat(control.addresses()).isNotEmpty().allMatch(InetAddress::isAnyLocalAddress);
        assertThat(control.jarsStatus()).isEqualTo(200);
        assertThat(control.all())
                .filteredOn(a -> a.getPort() != control.port())
                .anyMatch(a -> a.getAddress().isAnyLocalAddress());
    }

    /** What a client sees of a MiniCluster's REST endpoint. */
    private record Seen(
            int port, List<InetAddress> addresses, int jarsStatus, List<InetSocketAddress> all) {}

    private static Seen start(Configuration conf, int port) throws Exception {
        try (MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(1)
                                .build())) {
            cluster.start();
            HttpClient http = HttpClient.newHttpClient();
            // Handlers answer 503 until the dispatcher's leader is known.
            for (int i = 0; i < 300 && status(http, port, "/overview") != 200; i++) {
                Thread.sleep(100);
            }
            List<InetAddress> addresses = ListeningSockets.addresses(port);
            // The jar handlers (list, upload, run) exist only with web.submit.enable.
            return new Seen(
                    port, addresses, status(http, port, "/jars"), ListeningSockets.ofThisProcess());
        }
    }

    private static int status(HttpClient http, int port, String path) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
