package io.bimm.flink.cli;

import io.bimm.flink.decode.DecodeOptions;
import picocli.CommandLine.Option;

/** The SPEC section 1 sampling flags of the commands that run the preprocessing (a mixin). */
public final class SamplingOptions {
    @Option(names = "--size", defaultValue = "224", description = "Input size S (default 224).")
    int size;

    @Option(names = "--frames", defaultValue = "16", description = "Sampled frames T (default 16).")
    int frames;

    @Option(names = "--stride", defaultValue = "4", description = "Temporal stride (default 4).")
    int stride;

    /** Decode options with these flags set; the caller adds the rest. */
    DecodeOptions.Builder decode() {
        return DecodeOptions.builder().optSize(size).optFrames(frames).optStride(stride);
    }
}
