package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.train.TrainJob;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** One set of limits: the job's options, the CLI's -D values and DecodeOptions agree. */
class DecodeLimitsTest {

    private static DecodeLimits of(DecodeOptions o) {
        return new DecodeLimits(
                o.maxBytes(), o.maxWidth(), o.maxHeight(), o.maxFrames(), o.maxDecodeTime());
    }

    @Test
    void defaultsAreTheJobsAndDecodeOptionsOwn() {
        DecodeLimits d = DecodeLimits.defaults();
        assertThat(d)
                .isEqualTo(
                        new DecodeLimits(64L << 20, 3840, 2160, 100_000, Duration.ofSeconds(30)));
        assertThat(of(DecodeOptions.builder().build())).isEqualTo(d);
    }

    @Test
    void theJobAndTheCommandsReadTheSameKeysTheSameWay() {
        Configuration c =
                Configuration.fromMap(
                        Map.of(
                                "prep.max-bytes", "3 mb",
                                "prep.max-width", "640",
                                "prep.max-height", "480",
                                "prep.max-frames", "99",
                                "prep.max-decode-time", "5 s"));
        DecodeLimits limits = DecodeLimits.of(c);
        assertThat(limits)
                .isEqualTo(new DecodeLimits(3L << 20, 640, 480, 99, Duration.ofSeconds(5)));
        assertThat(of(PrepConfigOptions.read(c).decode())).isEqualTo(limits);
        assertThat(of(TrainJob.prepOptions(c, TrainJob.modelConfig(c)).decode())).isEqualTo(limits);
        assertThat(of(limits.applyTo(DecodeOptions.builder()).build())).isEqualTo(limits);
    }
}
