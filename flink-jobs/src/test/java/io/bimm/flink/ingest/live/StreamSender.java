package io.bimm.flink.ingest.live;

import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: the senders of {@link LiveStreamCheck} in a process of their own, as a camera or an
 * encoder is: sender one streams numbered frames, goes silent, closes; sender two continues the
 * numbering. A process of its own also keeps the senders' FFmpeg calls apart from the follower's
 * (JavaCV serialises opening and closing in a process, and a listening sender waits inside its
 * opening for the follower to connect).
 */
final class StreamSender {

    private StreamSender() {}

    /**
     * The sender process for {@code url}.
     *
     * @param awaitUdpPort before sender two, wait until this UDP port is bound again (0: do not)
     */
    static Process start(
            String url,
            NumberedStream.Wire wire,
            Map<String, String> options,
            int perSender,
            long stallMillis,
            int awaitUdpPort)
            throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(StreamSender.class.getName());
        cmd.add(url);
        cmd.add(wire.name());
        cmd.add(Integer.toString(perSender));
        cmd.add(Long.toString(stallMillis));
        cmd.add(Integer.toString(awaitUdpPort));
        options.forEach(
                (k, v) -> {
                    cmd.add(k);
                    cmd.add(v);
                });
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        NumberedStream.Wire wire = NumberedStream.Wire.valueOf(args[1]);
        int perSender = Integer.parseInt(args[2]);
        long stallMillis = Long.parseLong(args[3]);
        int awaitPort = Integer.parseInt(args[4]);
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 5; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        log("sender one opening");
        try (NumberedStream.Sender a = new NumberedStream.Sender(url, wire, options)) {
            log("sender one open");
            a.send(0, perSender);
            log("sender one sent; silent for " + stallMillis + " ms");
            // Stalled: connected, silent.
            Thread.sleep(stallMillis);
        }
        if (awaitPort > 0) {
            awaitBound(awaitPort);
        }
        log("sender two opening");
        try (NumberedStream.Sender b = new NumberedStream.Sender(url, wire, options)) {
            log("sender two open");
            b.send(perSender, perSender);
            log("sender two sent; silent for " + stallMillis + " ms");
            // Connected but silent again before closing: the follower completes its segment on
            // the stall, and SRT's close (no linger in live mode) drops nothing unsent.
            Thread.sleep(stallMillis);
        }
        System.exit(0);
    }

    private static void log(String what) {
        System.out.println(LocalTime.now() + " " + what);
        System.out.flush();
    }

    /** Waits (at most 10 s) until something, the follower, has bound UDP {@code port}. */
    private static void awaitBound(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (udpFree(port) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    static boolean udpFree(int port) throws SocketException {
        try (DatagramSocket s =
                new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            return true;
        } catch (BindException e) {
            return false;
        }
    }
}
