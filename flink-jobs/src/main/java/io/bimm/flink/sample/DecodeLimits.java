package io.bimm.flink.sample;

import io.bimm.flink.decode.DecodeOptions;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The limits on untrusted input ({@code prep.max-*} of {@link PrepConfigOptions}): one set, read in
 * one place, applied by the job and by every command that reads user files (ingest, targets, embed,
 * finetune).
 *
 * @param maxBytes largest clip (container bytes)
 * @param maxWidth widest frame
 * @param maxHeight tallest frame
 * @param maxFrames most frames in one clip
 * @param maxDecodeTime longest decode of one clip
 */
public record DecodeLimits(
        long maxBytes, int maxWidth, int maxHeight, int maxFrames, Duration maxDecodeTime) {

    /** The options read here, in the order the help lists them. */
    public static final List<ConfigOption<?>> OPTIONS =
            List.of(
                    PrepConfigOptions.MAX_BYTES,
                    PrepConfigOptions.MAX_WIDTH,
                    PrepConfigOptions.MAX_HEIGHT,
                    PrepConfigOptions.MAX_FRAMES,
                    PrepConfigOptions.MAX_DECODE_TIME);

    /**
     * The limits set in {@code c}, defaults for the rest.
     *
     * @throws IllegalArgumentException naming the key whose value does not parse
     */
    public static DecodeLimits of(ReadableConfig c) {
        return new DecodeLimits(
                c.get(PrepConfigOptions.MAX_BYTES).getBytes(),
                c.get(PrepConfigOptions.MAX_WIDTH),
                c.get(PrepConfigOptions.MAX_HEIGHT),
                c.get(PrepConfigOptions.MAX_FRAMES),
                c.get(PrepConfigOptions.MAX_DECODE_TIME));
    }

    /** The job's default limits. */
    public static DecodeLimits defaults() {
        return of(new Configuration());
    }

    /** {@code b} with these limits set; the caller sets the sampling. */
    public DecodeOptions.Builder applyTo(DecodeOptions.Builder b) {
        return b.optMaxBytes(maxBytes)
                .optMaxWidth(maxWidth)
                .optMaxHeight(maxHeight)
                .optMaxFrames(maxFrames)
                .optMaxDecodeTime(maxDecodeTime);
    }
}
