package io.bimm.flink.ingest;

/**
 * How many records of a topic a consumer group has read, between the moments its commits show it. A
 * Flink Kafka source commits only when a checkpoint completes, so the committed total jumps once an
 * interval and is stale in between. The estimate is the last committed total plus the pace between
 * the last two commits seen times the time since the last one, for at most two such intervals: a
 * job that stopped reading is not assumed to read on.
 */
final class ConsumptionEstimate {

    private long committed = -1;
    private double changedAt;
    private double rate; // records per second between the last two commits seen
    private double interval; // seconds between them

    /** Records a look, at {@code seconds}, at the group's committed total. */
    void observe(double seconds, long committedTotal) {
        if (committedTotal == committed) {
            return;
        }
        if (committed >= 0 && committedTotal > committed && seconds > changedAt) {
            interval = seconds - changedAt;
            rate = (committedTotal - committed) / interval;
        }
        committed = committedTotal;
        changedAt = seconds;
    }

    /** Records per second between the last two commits seen; 0 before two. */
    double rate() {
        return rate;
    }

    /** The records estimated read by {@code seconds}; 0 before any look. */
    double consumed(double seconds) {
        if (committed < 0) {
            return 0;
        }
        double since = Math.max(0, Math.min(seconds - changedAt, 2 * interval));
        return committed + rate * since;
    }
}
