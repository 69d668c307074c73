package io.bimm.flink.ingest;

import io.bimm.schemas.DeadLetterReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * A file the user named, or found in a directory or glob base they named (its {@code root}), and
 * the one way user files are read: checked before opening, never followed out of their tree, never
 * read past a limit.
 *
 * <p>Rules (docs/cli.md, {@code bimm ingest}): only regular files are read; FIFOs, devices, sockets
 * and directories are {@code unreadable} at once, from their type, without opening them (opening a
 * FIFO blocks). A symlink found in a tree is followed only to a regular file inside that tree; one
 * that leaves it is {@code unreadable} and never opened. A path named directly is the user's choice
 * and may be a symlink to anywhere. The resolved file is opened without following links and at most
 * {@code limit + 1} bytes are read.
 *
 * @param path the path as named or found
 * @param root real path of the tree it was found in, or null when the user named it directly
 */
public record InputFile(Path path, Path root) {

    /** Bytes read from a checked file, and the real path they came from. */
    public record Content(Path real, byte[] bytes) {}

    /** A path named directly: a symlink in it is followed wherever it points. */
    public static InputFile named(Path path) {
        return new InputFile(path.toAbsolutePath().normalize(), null);
    }

    /**
     * The whole file, if it is a regular file inside its tree of at most {@code limit} bytes.
     *
     * @param limit most bytes read (at most {@code Integer.MAX_VALUE - 8})
     * @param limitName what the user sets the limit with, for the message (e.g. a flag)
     * @throws IngestException {@code unreadable} (not a regular file, a symlink out of the tree,
     *     gone, I/O error), {@code over_size} (larger than {@code limit}), {@code not_video}
     *     (empty)
     */
    public Content read(long limit, String limitName) throws IngestException {
        Path real = check();
        BasicFileAttributes attrs = attributes(real);
        if (!attrs.isRegularFile()) {
            throw new IngestException(
                    DeadLetterReason.UNREADABLE, "it is " + kind(real, attrs) + ", not a file");
        }
        long max = Math.min(limit, Integer.MAX_VALUE - 8);
        if (attrs.size() > max) {
            throw overSize(attrs.size() + " bytes", max, limit, limitName);
        }
        byte[] bytes;
        try (SeekableByteChannel ch =
                Files.newByteChannel(
                        real, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            bytes = readAtMost(ch, (int) Math.min(attrs.size(), max), max);
        } catch (IOException e) {
            throw unreadable(e);
        }
        if (bytes == null) {
            throw overSize("over " + max + " bytes", max, limit, limitName);
        }
        if (bytes.length == 0) {
            throw new IngestException(DeadLetterReason.NOT_VIDEO, "it is empty");
        }
        return new Content(real, bytes);
    }

    /** The real path to read: gone, looping, or out of the tree fail here, before any open. */
    private Path check() throws IngestException {
        BasicFileAttributes own = attributes(path);
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            if (own.isSymbolicLink()) {
                throw new IngestException(
                        DeadLetterReason.UNREADABLE,
                        "its symlink does not resolve (" + reason(e) + ")",
                        e);
            }
            throw unreadable(e);
        }
        if (root != null && !real.startsWith(root)) {
            throw new IngestException(
                    DeadLetterReason.UNREADABLE,
                    "symlink leaves the input tree " + root + " (to " + real + "); not read");
        }
        return real;
    }

    private static BasicFileAttributes attributes(Path p) throws IngestException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw unreadable(e);
        }
    }

    /**
     * Reads until end of file or {@code max + 1} bytes; null when there were more than {@code max}
     * (the file grew after its size was read).
     */
    private static byte[] readAtMost(SeekableByteChannel ch, int expected, long max)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(expected + 1);
        while (true) {
            if (!buf.hasRemaining()) {
                if (buf.capacity() > max) {
                    return null;
                }
                int grown = (int) Math.min(max + 1, Math.max(8192L, 2L * buf.capacity()));
                ByteBuffer bigger = ByteBuffer.allocate(grown);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
            if (ch.read(buf) < 0) {
                break;
            }
        }
        byte[] out = new byte[buf.position()];
        buf.flip().get(out);
        return out;
    }

    /** "a FIFO", "a character device"... from the mode bits where the platform has them. */
    private static String kind(Path p, BasicFileAttributes attrs) {
        if (attrs.isDirectory()) {
            return "a directory";
        }
        try {
            int type = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            switch (type & 0170000) {
                case 0010000:
                    return "a FIFO";
                case 0020000:
                    return "a character device";
                case 0060000:
                    return "a block device";
                case 0140000:
                    return "a socket";
                default:
                    break;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // no unix view: the generic name below
        }
        return "a special file (FIFO, device or socket)";
    }

    private static IngestException overSize(String size, long max, long limit, String limitName) {
        String why =
                max < limit
                        ? "larger than a file read into memory can be (" + max + " bytes)"
                        : "over the " + limit + "-byte limit (" + limitName + ")";
        return new IngestException(DeadLetterReason.OVER_SIZE, "it is " + size + ", " + why);
    }

    private static IngestException unreadable(IOException e) {
        if (e instanceof NoSuchFileException) {
            return new IngestException(DeadLetterReason.UNREADABLE, "it no longer exists", e);
        }
        return new IngestException(DeadLetterReason.UNREADABLE, "cannot read it: " + reason(e), e);
    }

    private static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
