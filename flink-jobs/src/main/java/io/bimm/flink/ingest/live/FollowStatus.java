package io.bimm.flink.ingest.live;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters of one {@code ingest --follow} run, shared by its threads, and the status line drawn
 * from them: {@code following 2 sources, 1 folder: 41 clips (0.50/s, 310 kB/s), 1 reconnect, 0
 * rejected | cam1 #20 at 21:40:12 | ...}.
 */
final class FollowStatus {

    private static final DateTimeFormatter CLOCK =
            DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneId.systemDefault());

    private final int sources;
    private final int folders;
    private final AtomicLong clips = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong rejectedSegments = new AtomicLong();
    private final AtomicLong filesIngested = new AtomicLong();
    private final AtomicLong filesRejected = new AtomicLong();
    private final Map<String, String> lastSegment = new ConcurrentHashMap<>();
    private final Map<String, Long> clipsPerSource = new ConcurrentHashMap<>();
    private long lineNanos = System.nanoTime();
    private long lineClips;
    private long lineBytes;

    FollowStatus(int sources, int folders) {
        this.sources = sources;
        this.folders = folders;
    }

    void clipSent(LiveSource source, int index, long startMicros, int size) {
        clips.incrementAndGet();
        bytes.addAndGet(size);
        clipsPerSource.merge(source.display(), 1L, Long::sum);
        String at =
                source.family().timeline() == SourceFamily.Timeline.WALL_CLOCK
                        ? CLOCK.format(Instant.ofEpochMilli(startMicros / 1000))
                        : String.format(Locale.ROOT, "%.1f s", startMicros / 1e6);
        lastSegment.put(source.display(), "#" + index + " at " + at);
    }

    void reconnected() {
        reconnects.incrementAndGet();
    }

    void segmentRejected() {
        rejectedSegments.incrementAndGet();
    }

    /** A followed folder's file went through the file path: {@code clips} records, bytes. */
    void fileDone(int fileClips, long fileBytes) {
        clips.addAndGet(fileClips);
        bytes.addAndGet(fileBytes);
        (fileClips > 0 ? filesIngested : filesRejected).incrementAndGet();
    }

    long clips() {
        return clips.get();
    }

    long reconnects() {
        return reconnects.get();
    }

    long rejectedSegments() {
        return rejectedSegments.get();
    }

    long filesIngested() {
        return filesIngested.get();
    }

    long filesRejected() {
        return filesRejected.get();
    }

    long bytes() {
        return bytes.get();
    }

    /** Live sources that produced at least one clip. */
    long sourcesWithClips() {
        return clipsPerSource.size();
    }

    /** The status line; rates are over the time since the previous line. */
    synchronized String line() {
        long now = System.nanoTime();
        double seconds = Math.max(1e-3, (now - lineNanos) / 1e9);
        long c = clips.get();
        long b = bytes.get();
        double clipRate = (c - lineClips) / seconds;
        double byteRate = (b - lineBytes) / seconds;
        lineNanos = now;
        lineClips = c;
        lineBytes = b;
        StringBuilder s = new StringBuilder("following ");
        s.append(plural(sources, "source"));
        if (folders > 0) {
            s.append(", ").append(plural(folders, "folder"));
        }
        s.append(
                String.format(
                        Locale.ROOT,
                        ": %d clips (%.2f/s, %.0f kB/s), %s, %d rejected",
                        c,
                        clipRate,
                        byteRate / 1e3,
                        plural(reconnects.get(), "reconnect"),
                        rejectedSegments.get() + filesRejected.get()));
        lastSegment.forEach((src, last) -> s.append(" | ").append(src).append(' ').append(last));
        return s.toString();
    }

    private static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
