package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.model.train.DeviceSpec.Kind;
import io.bimm.model.train.DeviceSpec.Replica;
import org.junit.jupiter.api.Test;

class DeviceSpecTest {

    @Test
    void parsesAutoAndReplicaLists() {
        assertThat(DeviceSpec.parse(" AUTO ").isAuto()).isTrue();
        assertThat(DeviceSpec.parse("gpu0, GPU1").replicas())
                .containsExactly(new Replica(Kind.GPU, 0), new Replica(Kind.GPU, 1));
        assertThat(DeviceSpec.parse("gpu").replicas()).containsExactly(new Replica(Kind.GPU, 0));
        assertThat(DeviceSpec.parse("cpu,cpu").replicas()).hasSize(2);
        assertThat(DeviceSpec.parse("cpu, gpu3")).hasToString("cpu,gpu3");
        assertThat(DeviceSpec.parse("auto")).hasToString("auto");
    }

    @Test
    void refusesWhatIsNoDeviceNamingTheEntry() {
        assertThatThrownBy(() -> DeviceSpec.parse("gpu0,tpu"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "Unknown device 'tpu' in 'gpu0,tpu', expected auto, or a list of cpu,"
                                + " gpu, gpuN.");
        assertThatThrownBy(() -> DeviceSpec.parse("gpu0,")).hasMessageContaining("device ''");
        assertThatThrownBy(() -> DeviceSpec.parse("auto,cpu"))
                .hasMessageContaining("device 'auto'");
    }
}
