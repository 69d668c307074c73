package io.bimm.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.testutil.Clips;
import io.bimm.schemas.VideoClip;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How many epochs {@link EpochFeeder#ahead} produces at once. */
class EpochFeederTest {

    private static EpochFeeder feeder(int clips, int bytesEach) {
        List<VideoClip> list =
                java.util.stream.IntStream.range(0, clips)
                        .mapToObj(i -> Clips.of("c" + i, new byte[bytesEach]))
                        .toList();
        return new EpochFeeder(list, "localhost:1", "t", "g", 1);
    }

    @Test
    void coversTheRecordsOfTheRunCountingTheIngestedEpoch() {
        assertThat(feeder(3, 10).upfrontEpochs()).isZero();
        assertThat(feeder(3, 10).ahead(1).upfrontEpochs()).isEqualTo(1);
        assertThat(feeder(3, 10).ahead(9).upfrontEpochs()).isEqualTo(3);
        assertThat(feeder(3, 10).ahead(10).upfrontEpochs()).isEqualTo(4);
        assertThat(feeder(200, 10).ahead(200 * 8).upfrontEpochs()).isEqualTo(8);
    }

    @Test
    void stopsAtAGibibyteOfClips() {
        // two clips of 1 MiB: 2 MiB an epoch, 512 epochs in 1 GiB
        assertThat(feeder(2, 1 << 20).ahead(1_000_000).upfrontEpochs()).isEqualTo(512);
        assertThatThrownBy(() -> feeder(1, 1).ahead(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
