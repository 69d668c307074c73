package io.bimm.flink.testutil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TCP sockets listening on this machine, as the Linux kernel reports them ({@code
 * /proc/net/tcp} and {@code tcp6}): what a socket is really bound to, not what a configuration
 * says.
 */
public final class ListeningSockets {

    private static final String LISTEN = "0A";
    private static final Pattern SOCKET = Pattern.compile("socket:\\[(\\d+)]");

    private ListeningSockets() {}

    /** Whether this system reports its sockets under /proc/net. */
    public static boolean available() {
        return Files.isReadable(Paths.get("/proc/net/tcp"));
    }

    /** The local addresses of the sockets listening on {@code port} (empty if none). */
    public static List<InetAddress> addresses(int port) throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (Entry e : listening()) {
            if (e.address().getPort() == port) {
                out.add(e.address().getAddress());
            }
        }
        return out;
    }

    /** The sockets this JVM listens on. */
    public static List<InetSocketAddress> ofThisProcess() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Paths.get("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    Matcher m = SOCKET.matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(m.group(1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (Entry e : listening()) {
            if (inodes.contains(e.inode())) {
                out.add(e.address());
            }
        }
        return out;
    }

    private record Entry(InetSocketAddress address, String inode) {}

    private static List<Entry> listening() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Paths.get(table);
            if (!Files.isReadable(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals(LISTEN)) {
                    String[] local = f[1].split(":");
                    out.add(
                            new Entry(
                                    new InetSocketAddress(
                                            decode(local[0]), Integer.parseInt(local[1], 16)),
                                    f[9]));
                }
            }
        }
        return out;
    }

    /** The kernel prints each 32-bit word of the address in host (little-endian) order. */
    private static InetAddress decode(String hex) throws IOException {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = (word * 4 + 3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        return InetAddress.getByAddress(bytes);
    }
}
