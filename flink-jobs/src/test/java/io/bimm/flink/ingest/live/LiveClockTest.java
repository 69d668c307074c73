package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LiveClockTest {

    private long now = 1_000_000_000_000L;

    private LiveClock clock(SourceFamily.Timeline timeline, LiveClock.State restored) {
        return new LiveClock(timeline, restored, () -> now);
    }

    @Test
    void aWallClockSourceIsAnchoredAtTheTimeOfItsFirstPacket() {
        LiveClock c = clock(SourceFamily.Timeline.WALL_CLOCK, LiveClock.State.NONE);
        c.connected();
        assertThat(c.map(1_400_000)).isEqualTo(now);
        now += 40_000;
        assertThat(c.map(1_440_000)).isEqualTo(now);
        assertThat(c.jumped()).isFalse();
    }

    @Test
    void aSenderThatRestartsItsClockStartsAfterWhatWasSent() {
        LiveClock c = clock(SourceFamily.Timeline.WALL_CLOCK, LiveClock.State.NONE);
        c.connected();
        long first = c.map(50_000_000);
        c.sent(first + 1_000_000);
        now += 3_000_000; // back after 3 s, with timestamps from 0 again
        c.connected();
        long again = c.map(0);
        assertThat(again).isEqualTo(now);
        assertThat(c.alreadySent(again)).isFalse();
    }

    @Test
    void aSourceWhoseClockWentOnKeepsItsTimelineSoARepeatIsRecognized() {
        LiveClock c = clock(SourceFamily.Timeline.WALL_CLOCK, LiveClock.State.NONE);
        c.connected();
        long t0 = c.map(10_000_000);
        now += 6_000_000;
        c.map(16_000_000);
        c.sent(t0 + 6_000_001);
        // An HLS playlist read again 2 s later starts 4 s back from its live edge.
        now += 2_000_000;
        c.connected();
        long repeated = c.map(14_000_000);
        assertThat(repeated).isEqualTo(t0 + 4_000_000);
        assertThat(c.alreadySent(repeated)).isTrue();
        assertThat(c.alreadySent(c.map(17_000_000))).isFalse();
    }

    @Test
    void theTimelineSurvivesARestartThroughItsSavedState() {
        LiveClock c = clock(SourceFamily.Timeline.WALL_CLOCK, LiveClock.State.NONE);
        c.connected();
        long t0 = c.map(10_000_000);
        c.sent(t0 + 1);
        LiveClock.State saved = c.state();
        now += 1_000_000;
        LiveClock restarted = clock(SourceFamily.Timeline.WALL_CLOCK, saved);
        restarted.connected();
        assertThat(restarted.map(10_000_000 + 1_000_000)).isEqualTo(t0 + 1_000_000);
        assertThat(restarted.alreadySent(t0)).isTrue();
    }

    @Test
    void aGrowingFileUsesItsOwnTimestampsSoReadingItAgainSkipsWhatWasSent() {
        LiveClock c = clock(SourceFamily.Timeline.STREAM, LiveClock.State.NONE);
        c.connected();
        assertThat(c.map(0)).isZero();
        assertThat(c.map(4_000_000)).isEqualTo(4_000_000);
        c.sent(4_000_001);
        now += 60_000_000;
        LiveClock again = clock(SourceFamily.Timeline.STREAM, c.state());
        again.connected();
        assertThat(again.map(0)).isZero();
        assertThat(again.alreadySent(0)).isTrue();
        assertThat(again.alreadySent(again.map(4_400_000))).isFalse();
    }

    @Test
    void aJumpInsideAConnectionContinuesRightAfterTheLastTime() {
        LiveClock c = clock(SourceFamily.Timeline.STREAM, LiveClock.State.NONE);
        c.connected();
        c.map(0);
        c.map(5_000_000);
        long after = c.map(100_000); // the encoder restarted its timestamps
        assertThat(c.jumped()).isTrue();
        assertThat(after).isEqualTo(5_000_001);
        assertThat(c.map(140_000)).isEqualTo(5_040_001);
        assertThat(c.jumped()).isFalse();
    }
}
