package io.bimm.flink.ingest.live;

import java.time.Duration;

/**
 * Capped exponential backoff between reconnects: the first wait is {@code initial}, each failed
 * attempt doubles it up to {@code max}, and a connection that delivered a segment starts again from
 * {@code initial}.
 */
final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private long nextMillis;

    Backoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException(
                    "The backoff needs 0 < initial <= max, not " + initial + " and " + max + ".");
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.nextMillis = initialMillis;
    }

    /** The wait before the next attempt; the one after it is twice as long, up to the cap. */
    Duration next() {
        long wait = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        return Duration.ofMillis(wait);
    }

    /** The source delivered: the next wait is the initial one again. */
    void reset() {
        nextMillis = initialMillis;
    }
}
