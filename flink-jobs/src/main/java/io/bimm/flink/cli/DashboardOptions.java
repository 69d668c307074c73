package io.bimm.flink.cli;

import io.bimm.flink.train.LocalEndpoints;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import picocli.CommandLine.Option;

/** {@code --bind-address}: who can reach the dashboard of a command's local Flink MiniCluster. */
public final class DashboardOptions {

    @Option(
            names = "--bind-address",
            paramLabel = "ADDRESS",
            description =
                    "Address the local Flink dashboard (REST API) listens on (default: "
                            + LocalEndpoints.DEFAULT_BIND_ADDRESS
                            + ", this machine only; 0.0.0.0 opens it to the network, where anyone"
                            + " who reaches it can stop or submit jobs).")
    String bindAddress;

    /** Sets {@code rest.bind-address} when {@code --bind-address} was given. */
    public void applyTo(Configuration conf) {
        if (bindAddress != null) {
            conf.set(RestOptions.BIND_ADDRESS, bindAddress);
        }
    }
}
