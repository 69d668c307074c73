package io.bimm.flink.kafka;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Properties;

/**
 * The server properties of {@link EmbeddedKafka}'s single KRaft node: its listeners (a client
 * listener on the bind address, PLAINTEXT or SASL_PLAINTEXT; the controller, and with SASL an
 * unauthenticated inter-broker listener, on 127.0.0.1), single-node replication and clip-sized
 * message limits.
 *
 * @param properties what {@code KafkaConfig.fromProps} takes
 * @param bootstrap {@code host:port} of the client listener
 * @param internalBootstrap {@code host:port} of a listener that needs no credentials
 * @param protocol security protocol of the client listener
 */
record BrokerProperties(
        Properties properties, String bootstrap, String internalBootstrap, String protocol) {

    static final String LOOPBACK = "127.0.0.1";

    static BrokerProperties of(
            String bindAddress,
            int clientPort,
            SaslUsers users,
            int maxMessageBytes,
            int nodeId,
            String logDir)
            throws IOException {
        int controllerPort = EmbeddedKafka.freePort();
        String host = advertisedHost(bindAddress);
        String bindHost = bindAddress.contains(":") ? "[" + bindAddress + "]" : bindAddress;
        String controller = "CONTROLLER://" + LOOPBACK + ":" + controllerPort;

        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(nodeId));
        props.put("controller.quorum.voters", nodeId + "@" + LOOPBACK + ":" + controllerPort);
        props.put("controller.listener.names", "CONTROLLER");
        String protocol;
        String internal;
        if (users == null) {
            protocol = "PLAINTEXT";
            props.put("listeners", "PLAINTEXT://" + bindHost + ":" + clientPort + "," + controller);
            props.put("advertised.listeners", "PLAINTEXT://" + host + ":" + clientPort);
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            internal = host + ":" + clientPort;
        } else {
            // Clients authenticate on the client listener; the broker's own admin client (topic
            // creation, readiness) and the controller use unauthenticated listeners that only
            // this machine can reach.
            protocol = SaslUsers.PROTOCOL;
            internal = LOOPBACK + ":" + EmbeddedKafka.freePort();
            props.put(
                    "listeners",
                    protocol
                            + "://"
                            + bindHost
                            + ":"
                            + clientPort
                            + ",INTERNAL://"
                            + internal
                            + ","
                            + controller);
            props.put(
                    "advertised.listeners",
                    protocol + "://" + host + ":" + clientPort + ",INTERNAL://" + internal);
            props.put("inter.broker.listener.name", "INTERNAL");
            props.put(
                    "listener.security.protocol.map",
                    protocol + ":" + protocol + ",INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
            props.put("sasl.enabled.mechanisms", SaslUsers.MECHANISM);
            props.put(
                    "listener.name."
                            + protocol.toLowerCase(Locale.ROOT)
                            + ".plain.sasl.jaas.config",
                    users.brokerJaasConfig());
        }
        props.put("log.dirs", logDir);
        props.put("num.partitions", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "true");
        props.put("message.max.bytes", Integer.toString(maxMessageBytes));
        props.put("replica.fetch.max.bytes", Integer.toString(maxMessageBytes));
        props.put(
                "socket.request.max.bytes",
                Integer.toString(Math.max(maxMessageBytes * 2, 104857600)));
        return new BrokerProperties(props, host + ":" + clientPort, internal, protocol);
    }

    /**
     * The host clients are told to connect to: localhost for a loopback listener (what {@code bimm
     * kafka} has always printed), this machine's name for a wildcard one, else the address itself.
     */
    private static String advertisedHost(String bindAddress) throws IOException {
        InetAddress address;
        try {
            address = InetAddress.getByName(bindAddress);
        } catch (UnknownHostException e) {
            throw new IOException("Unknown bind address " + bindAddress, e);
        }
        if (address.isLoopbackAddress()) {
            return "localhost";
        }
        if (address.isAnyLocalAddress()) {
            return InetAddress.getLocalHost().getCanonicalHostName();
        }
        return bindAddress.contains(":") ? "[" + bindAddress + "]" : bindAddress;
    }
}
