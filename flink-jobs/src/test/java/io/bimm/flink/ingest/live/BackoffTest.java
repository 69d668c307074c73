package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void doublesUpToTheCapAndStartsAgainAfterASuccess() {
        Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(3));
        assertThat(Stream.generate(b::next).limit(6).map(Duration::toMillis))
                .containsExactly(500L, 1000L, 2000L, 3000L, 3000L, 3000L);
        b.reset();
        assertThat(b.next()).isEqualTo(Duration.ofMillis(500));
    }
}
