package io.bimm.flink.ingest.live;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a followed folder has already given, by content: the SHA-256 of each file ingested (or
 * dead-lettered), with the path, size and modification time it had, in {@code ingested.ledger} of
 * the state directory. A file whose content is in the ledger is not ingested again, under any name
 * and across restarts; one whose path, size and time are in it is not even read again.
 *
 * <p>Each entry is appended and forced to disk before the next file. The ledger is bounded: past
 * {@link #MAX_ENTRIES} it is rewritten with the entries of files still present as recorded, then
 * the newest others up to half the bound (a file deleted long ago and put back may come again).
 */
final class IngestedLedger {

    static final String FILE_NAME = "ingested.ledger";
    static final int MAX_ENTRIES = 200_000;

    /** One file given: its content hash, and the path, size and time it had. */
    record Entry(String sha256, long size, long mtimeMillis, String uri) {
        String line() {
            return sha256 + " " + size + " " + mtimeMillis + " " + uri;
        }

        static Entry parse(String line) {
            String[] f = line.split(" ", 4);
            if (f.length != 4 || f[0].length() != 64) {
                return null;
            }
            try {
                return new Entry(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), f[3]);
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    private final Path file;
    private final int maxEntries;
    private final Map<String, Entry> byHash = new LinkedHashMap<>();
    private final Map<String, Entry> byUri = new HashMap<>();

    private IngestedLedger(Path file, int maxEntries) {
        this.file = file;
        this.maxEntries = maxEntries;
    }

    static IngestedLedger load(Path stateDir) throws IOException {
        return load(stateDir, MAX_ENTRIES);
    }

    static IngestedLedger load(Path stateDir, int maxEntries) throws IOException {
        IngestedLedger l = new IngestedLedger(stateDir.resolve(FILE_NAME), maxEntries);
        for (String line : StateFiles.readLines(l.file, 2 * maxEntries)) {
            Entry e = Entry.parse(line);
            if (e != null) {
                l.remember(e);
            }
        }
        return l;
    }

    private void remember(Entry e) {
        byHash.remove(e.sha256());
        byHash.put(e.sha256(), e);
        byUri.put(e.uri(), e);
    }

    synchronized boolean contains(String sha256) {
        return byHash.containsKey(sha256);
    }

    /** Whether {@code path} was recorded with this size and time (so it need not be read). */
    synchronized boolean unchanged(Path path, long size, long mtimeMillis) {
        Entry e = byUri.get(path.toUri().toString());
        return e != null && e.size() == size && e.mtimeMillis() == mtimeMillis;
    }

    /** Records a file given (or seen again under another name), durably. */
    synchronized void add(String sha256, Path path, long size, long mtimeMillis)
            throws IOException {
        Entry e = new Entry(sha256, size, mtimeMillis, path.toUri().toString());
        remember(e);
        StateFiles.append(file, e.line());
        if (byHash.size() > maxEntries) {
            compact();
        }
    }

    synchronized int size() {
        return byHash.size();
    }

    private void compact() throws IOException {
        List<Entry> present = new ArrayList<>();
        List<Entry> gone = new ArrayList<>();
        for (Entry e : byHash.values()) {
            (stillThere(e) ? present : gone).add(e);
        }
        int room = Math.max(0, maxEntries / 2 - present.size());
        List<Entry> keep =
                new ArrayList<>(gone.subList(Math.max(0, gone.size() - room), gone.size()));
        keep.addAll(present);
        byHash.clear();
        byUri.clear();
        keep.forEach(this::remember);
        StateFiles.replace(file, keep.stream().map(Entry::line).toList());
    }

    private static boolean stillThere(Entry e) {
        try {
            BasicFileAttributes a =
                    Files.readAttributes(
                            Path.of(URI.create(e.uri())),
                            BasicFileAttributes.class,
                            LinkOption.NOFOLLOW_LINKS);
            return a.size() == e.size() && a.lastModifiedTime().toMillis() == e.mtimeMillis();
        } catch (IOException | RuntimeException ex) {
            return false;
        }
    }
}
