package io.bimm.flink.ingest.live;

/**
 * Maps a live source's packet timestamps to the start times that name its segments, so that a
 * reconnect or a restart of ingest never gives two segments the same id and never sends the same
 * stretch of stream twice.
 *
 * <p>A time is {@code pts + offset}, in microseconds. With {@link SourceFamily.Timeline#STREAM} (a
 * growing file) the offset starts at 0 on every connection: reading the file again gives the same
 * times, and what was sent is skipped. With {@link SourceFamily.Timeline#WALL_CLOCK} the first
 * packet of a connection is anchored at the current wall-clock time, unless the source's clock went
 * on while it was away (its timestamp is where the previous connection's last one plus the elapsed
 * time says it would be, as for an HLS playlist or an encoder that kept running): then the previous
 * offset is kept, and whatever the source sends again maps to times already sent. A jump inside a
 * connection (an encoder restart, a timestamp discontinuity) re-anchors the same way: the new time
 * starts right after the last one.
 */
final class LiveClock {

    /** How far a continuing clock may be from where it was expected. */
    static final long CONTINUITY_MICROS = 5_000_000L;

    /** A jump back (or this far forward) inside one connection is a discontinuity. */
    private static final long BACKWARD_MICROS = 1_000_000L;

    private static final long FORWARD_MICROS = 30_000_000L;

    /**
     * Where a source's timeline stands; persisted per source ({@link SourcePositions}).
     *
     * @param offset added to a pts (microseconds) to give its time
     * @param lastPts the last packet's pts, microseconds (stream clock)
     * @param lastWall wall-clock microseconds when it was read
     * @param sentEnd end time of the last segment sent: nothing before it is sent again
     */
    record State(long offset, long lastPts, long lastWall, long sentEnd) {
        static final State NONE = new State(0, Long.MIN_VALUE, 0, Long.MIN_VALUE);

        boolean known() {
            return lastPts != Long.MIN_VALUE;
        }
    }

    private final SourceFamily.Timeline timeline;
    private final WallClock wall;
    private State previous;
    private long offset;
    private long lastPts = Long.MIN_VALUE;
    private long lastWall;
    private long sentEnd;

    /** The wall clock in microseconds; a test may step it. */
    @FunctionalInterface
    interface WallClock {
        long micros();

        WallClock SYSTEM = () -> System.currentTimeMillis() * 1000L;
    }

    LiveClock(SourceFamily.Timeline timeline, State restored, WallClock wall) {
        this.timeline = timeline;
        this.wall = wall;
        this.previous = restored;
        this.sentEnd = restored.sentEnd();
        this.offset = restored.offset();
    }

    /** A new connection: its first packet anchors the timeline again. */
    void connected() {
        if (lastPts != Long.MIN_VALUE) {
            previous = state();
        }
        lastPts = Long.MIN_VALUE;
    }

    /**
     * The time of a packet with presentation time {@code pts} (microseconds).
     *
     * @return the time; {@link #jumped()} says whether it started a new stretch (flush first)
     */
    long map(long pts) {
        long now = wall.micros();
        jumped = false;
        if (lastPts == Long.MIN_VALUE) {
            anchor(pts, now);
        } else if (pts < lastPts - BACKWARD_MICROS || pts > lastPts + FORWARD_MICROS) {
            long lastTime = lastPts + offset;
            offset =
                    timeline == SourceFamily.Timeline.STREAM
                            ? lastTime + 1 - pts
                            : Math.max(now, lastTime + 1) - pts;
            jumped = true;
            lastPts = pts;
            lastWall = now;
        }
        if (pts > lastPts) {
            lastPts = pts;
            lastWall = now;
        }
        return pts + offset;
    }

    private boolean jumped;

    /** Whether the last {@link #map} broke the stream's continuity. */
    boolean jumped() {
        return jumped;
    }

    private void anchor(long pts, long now) {
        if (timeline == SourceFamily.Timeline.STREAM) {
            offset = 0;
            return;
        }
        if (previous.known()) {
            long expected = previous.lastPts() + (now - previous.lastWall());
            if (Math.abs(pts - expected) <= CONTINUITY_MICROS) {
                offset = previous.offset();
                return;
            }
        }
        long start = previous.sentEnd() == Long.MIN_VALUE ? now : Math.max(now, previous.sentEnd());
        offset = start - pts;
    }

    /** Whether a segment starting at {@code time} would repeat what was sent. */
    boolean alreadySent(long time) {
        return sentEnd != Long.MIN_VALUE && time < sentEnd;
    }

    /** Records that a segment ending at {@code end} was cut (it is not cut again). */
    void sent(long end) {
        sentEnd = Math.max(sentEnd, end);
    }

    State state() {
        return new State(offset, lastPts, lastWall, sentEnd);
    }
}
