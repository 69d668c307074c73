package io.bimm.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The consumption between two checkpoint commits follows the pace of the last two. */
class ConsumptionEstimateTest {

    @Test
    void extrapolatesThePaceBetweenCommitsForAtMostTwoIntervals() {
        ConsumptionEstimate e = new ConsumptionEstimate();
        assertThat(e.consumed(0)).isZero();
        e.observe(0, 0);
        e.observe(30, 0); // no commit yet: nothing known of the pace
        assertThat(e.consumed(30)).isZero();
        e.observe(60, 600); // first checkpoint: 600 records in 60 s
        assertThat(e.consumed(60)).isEqualTo(600);
        assertThat(e.rate()).isCloseTo(10, within(1e-9));
        e.observe(80, 600);
        assertThat(e.consumed(80)).isCloseTo(800, within(1e-9));
        assertThat(e.consumed(180)).isCloseTo(1800, within(1e-9));
        // no commit for more than two intervals: the job is taken to have stopped there
        assertThat(e.consumed(1000)).isCloseTo(1800, within(1e-9));
        e.observe(120, 1500); // faster: 900 in 60 s
        assertThat(e.consumed(150)).isCloseTo(1950, within(1e-9));
    }

    @Test
    void aResetOfTheOffsetsKeepsThePaceAndRestartsFromTheNewTotal() {
        ConsumptionEstimate e = new ConsumptionEstimate();
        e.observe(0, 0);
        e.observe(10, 100);
        e.observe(20, 40); // offsets moved back (a restore): new base, same pace
        assertThat(e.consumed(25)).isCloseTo(90, within(1e-9));
    }
}
