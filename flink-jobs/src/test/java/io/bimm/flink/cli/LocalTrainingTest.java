package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.sample.PrepConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class LocalTrainingTest {

    /**
     * The demo and {@code bimm eval} produce ahead the records a run of known length reads: each
     * clip record trains as {@code prep.repeated-sampling} samples, so steps x batch / R of them.
     */
    @Test
    void feedsAheadTheRecordsThatYieldTheRunsSamples() {
        Configuration conf = new Configuration();
        assertThat(LocalTraining.recordsFor(30 * 4, conf))
                .isEqualTo(30 * 4 / PrepConfigOptions.DEFAULT_REPEATED_SAMPLING);
        conf.set(PrepConfigOptions.REPEATED_SAMPLING, 1);
        assertThat(LocalTraining.recordsFor(8, conf)).isEqualTo(8);
        conf.set(PrepConfigOptions.REPEATED_SAMPLING, 3);
        assertThat(LocalTraining.recordsFor(8, conf)).isEqualTo(3); // 9 samples cover 8
        assertThat(LocalTraining.recordsFor(0, conf)).isZero(); // no max-steps: none ahead
    }
}
