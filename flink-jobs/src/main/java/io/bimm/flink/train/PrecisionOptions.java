package io.bimm.flink.train;

import ai.djl.Device;
import io.bimm.model.train.Precision;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/** The arithmetic of the training sink's steps (docs/gpu.md). */
public final class PrecisionOptions {

    public static final ConfigOption<Precision> PRECISION =
            ConfigOptions.key("train.precision")
                    .enumType(Precision.class)
                    .noDefaultValue()
                    .withDescription(
                            "fp32, or bf16 (bfloat16 matmuls on float32 master weights, as"
                                    + " PyTorch autocast); default bf16 on CUDA devices, fp32 on"
                                    + " the CPU. Checkpoints are float32 either way.");

    private PrecisionOptions() {}

    /** The setting, or the default for the first replica device. */
    public static Precision resolve(ReadableConfig conf, Device first) {
        return conf.getOptional(PRECISION).orElse(Precision.defaultFor(first));
    }
}
