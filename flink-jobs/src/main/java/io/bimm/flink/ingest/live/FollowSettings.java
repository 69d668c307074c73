package io.bimm.flink.ingest.live;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How {@code ingest --follow} follows, beside the file ingest settings.
 *
 * @param readTimeout a live source that sends no packet for this long is reconnected
 * @param reconnectMax longest wait between reconnects (the first is half a second, then doubling)
 * @param settle a followed folder's file is ingested once its size and time stayed the same this
 *     long
 * @param stateDir where the ingested ledger and the live sources' positions are kept
 * @param statusEvery how often the status line is drawn (or printed, when not on a terminal)
 * @param stopAfter stop as Ctrl-C does after this long; null to run until stopped
 */
public record FollowSettings(
        Duration readTimeout,
        Duration reconnectMax,
        Duration settle,
        Path stateDir,
        Duration statusEvery,
        Duration stopAfter) {

    /** The first wait before reconnecting. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);

    public FollowSettings {
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("The read timeout must be positive.");
        }
        if (reconnectMax.compareTo(FIRST_BACKOFF) < 0) {
            throw new IllegalArgumentException(
                    "The longest reconnect wait must be at least " + FIRST_BACKOFF + ".");
        }
        if (settle.isNegative()) {
            throw new IllegalArgumentException("The settle time cannot be negative.");
        }
    }
}
