package io.bimm.flink.ingest.live;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each live source's timeline stood at its last segment sent ({@link LiveClock.State}), kept
 * in {@code live-sources.state} of the state directory across restarts: a growing file read again
 * skips what was sent, and a source whose clock went on maps what it repeats to times already sent.
 * One line per source id; the file is replaced atomically after every segment Kafka took.
 */
final class SourcePositions {

    static final String FILE_NAME = "live-sources.state";

    /** Sources remembered at most (the oldest lines beyond are dropped). */
    private static final int MAX_SOURCES = 10_000;

    private final Path file;
    private final Map<String, LiveClock.State> states = new LinkedHashMap<>();

    private SourcePositions(Path file) {
        this.file = file;
    }

    /** The positions saved in {@code stateDir}, or none. */
    static SourcePositions load(Path stateDir) throws IOException {
        SourcePositions p = new SourcePositions(stateDir.resolve(FILE_NAME));
        for (String line : StateFiles.readLines(p.file, MAX_SOURCES)) {
            String[] kv = line.split("=", 2);
            String[] v = kv.length == 2 ? kv[1].split(",") : new String[0];
            if (v.length != 4) {
                continue; // not ours: ignored, replaced on the next save
            }
            try {
                p.states.put(
                        kv[0],
                        new LiveClock.State(
                                Long.parseLong(v[0]),
                                Long.parseLong(v[1]),
                                Long.parseLong(v[2]),
                                Long.parseLong(v[3])));
            } catch (NumberFormatException e) {
                // skipped as above
            }
        }
        return p;
    }

    synchronized LiveClock.State get(String sourceId) {
        return states.getOrDefault(sourceId, LiveClock.State.NONE);
    }

    /** Saves {@code state} for the source, durably. */
    synchronized void put(String sourceId, LiveClock.State state) {
        states.remove(sourceId);
        states.put(sourceId, state);
        while (states.size() > MAX_SOURCES) {
            states.remove(states.keySet().iterator().next());
        }
        List<String> lines = new ArrayList<>();
        states.forEach(
                (id, s) ->
                        lines.add(
                                id
                                        + "="
                                        + s.offset()
                                        + ","
                                        + s.lastPts()
                                        + ","
                                        + s.lastWall()
                                        + ","
                                        + s.sentEnd()));
        try {
            StateFiles.replace(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot save " + file + ": " + e.getMessage(), e);
        }
    }
}
