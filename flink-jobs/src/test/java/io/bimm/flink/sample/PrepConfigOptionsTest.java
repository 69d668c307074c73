package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.decode.DecodeOptions;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Test;

class PrepConfigOptionsTest {
    @Test
    void defaultsAreThePaperSettings() {
        PrepOptions o = PrepConfigOptions.read(new Configuration());
        assertThat(o.decode().size()).isEqualTo(224);
        assertThat(o.decode().frames()).isEqualTo(16);
        assertThat(o.decode().stride()).isEqualTo(4);
        assertThat(o.ventralMaskRatio()).isEqualTo(0.75);
        assertThat(o.dorsalMaskRatio()).isEqualTo(0.9);
    }

    @Test
    void readsEveryKey() {
        Configuration c = new Configuration();
        c.set(PrepConfigOptions.SIZE, 112);
        c.set(PrepConfigOptions.FRAMES, 8);
        c.set(PrepConfigOptions.STRIDE, 2);
        c.set(PrepConfigOptions.DETERMINISTIC, true);
        c.set(PrepConfigOptions.SHORT_CLIP_POLICY, DecodeOptions.ShortClipPolicy.REJECT);
        c.set(PrepConfigOptions.VENTRAL_MASK_RATIO, 0.5);
        c.set(PrepConfigOptions.DORSAL_MASK_RATIO, 0.95);
        c.set(PrepConfigOptions.SEED, 9L);
        c.set(PrepConfigOptions.MAX_BYTES, MemorySize.parse("1m"));
        c.set(PrepConfigOptions.MAX_DECODE_TIME, Duration.ofSeconds(2));
        PrepOptions o = PrepConfigOptions.read(c);
        assertThat(o.decode().size()).isEqualTo(112);
        assertThat(o.decode().frames()).isEqualTo(8);
        assertThat(o.decode().stride()).isEqualTo(2);
        assertThat(o.decode().deterministic()).isTrue();
        assertThat(o.decode().shortClipPolicy()).isEqualTo(DecodeOptions.ShortClipPolicy.REJECT);
        assertThat(o.decode().maxBytes()).isEqualTo(1 << 20);
        assertThat(o.decode().maxDecodeTime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.ventralMaskRatio()).isEqualTo(0.5);
        assertThat(o.dorsalMaskRatio()).isEqualTo(0.95);
        assertThat(o.seed()).isEqualTo(9L);
        c.set(PrepConfigOptions.SIZE, 100);
        assertThatThrownBy(() -> PrepConfigOptions.read(c))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 16");
        c.set(PrepConfigOptions.SIZE, 112);
        c.set(PrepConfigOptions.DORSAL_MASK_RATIO, 1.0);
        assertThatThrownBy(() -> PrepConfigOptions.read(c))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
