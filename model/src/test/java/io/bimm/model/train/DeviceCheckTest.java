package io.bimm.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The no-silent-fallback rules with the machine's facts given as values. */
class DeviceCheckTest {

    private static final Libtorch CPU_ONLY =
            new Libtorch("2.7.1", "cpu", "/root/.djl.ai/pytorch/2.7.1-cpu", List.of());
    private static final Libtorch CUDA_NO_GPU =
            new Libtorch("2.7.1", "cu128", "/opt/torch/lib", List.of());
    private static final Libtorch CUDA_TWO =
            new Libtorch("2.7.1", "cu128", "/opt/torch/lib", List.of("NVIDIA H100", "NVIDIA H100"));

    @Test
    void aGpuSettingOnACpuOnlyLibtorchIsRefusedNamingItAndTheFix() {
        for (String spec : List.of("gpu", "gpu1", "cpu,gpu0")) {
            assertThatThrownBy(() -> DeviceCheck.check(DeviceSpec.parse(spec), CPU_ONLY, true))
                    .isInstanceOf(DeviceCheck.DeviceUnavailableException.class)
                    .hasMessageContaining("libtorch 2.7.1 (cpu")
                    .hasMessageContaining("PYTORCH_FLAVOR");
        }
    }

    @Test
    void aGpuTheCudaLibtorchDoesNotSeeIsRefused() {
        assertThatThrownBy(() -> DeviceCheck.check(DeviceSpec.parse("gpu"), CUDA_NO_GPU, false))
                .hasMessageContaining("GPUs: none");
        assertThatThrownBy(() -> DeviceCheck.check(DeviceSpec.parse("gpu2"), CUDA_TWO, true))
                .hasMessageContaining("needs GPU 2");
        assertThat(DeviceCheck.check(DeviceSpec.parse("gpu0,gpu1"), CUDA_TWO, true)).isEmpty();
    }

    @Test
    void autoWarnsOnlyWhenADriverIsThereButTheLibtorchIsCpuOnly() {
        assertThat(DeviceCheck.check(DeviceSpec.AUTO, CPU_ONLY, true))
                .hasValueSatisfying(w -> assertThat(w).contains("cpu").contains("PYTORCH_FLAVOR"));
        assertThat(DeviceCheck.check(DeviceSpec.AUTO, CPU_ONLY, false)).isEmpty();
        assertThat(DeviceCheck.check(DeviceSpec.AUTO, CUDA_TWO, true)).isEmpty();
        assertThat(DeviceCheck.check(DeviceSpec.parse("cpu"), CPU_ONLY, true)).isEmpty();
    }

    @Test
    void theFlavorIsReadFromDjlsDirectoryName() {
        assumeTrue(System.getenv("PYTORCH_FLAVOR") == null, "PYTORCH_FLAVOR overrides the name");
        assertThat(Libtorch.flavorOf("/root/.djl.ai/pytorch/2.7.1-20250812-cpu-linux-x86_64"))
                .isEqualTo("cpu");
        assertThat(Libtorch.flavorOf("/x/2.7.1-cu128-linux-x86_64")).isEqualTo("cu128");
        assertThat(Libtorch.flavorOf("/opt/torch/lib")).isEqualTo("unknown");
    }
}
