package io.bimm.flink.decode;

import io.bimm.schemas.DeadLetterReason;
import java.io.Serializable;
import java.time.Duration;

/**
 * Sampling parameters (SPEC section 1) and limits on untrusted input for {@link ClipDecoder}.
 * Immutable; build with {@link #builder()}.
 */
public final class DecodeOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What to do with a clip shorter than the sampling window (SPEC section 1). */
    public enum ShortClipPolicy {
        /** Frame indices modulo the frame count. */
        LOOP,
        /** Dead letter with reason {@code too_short}. */
        REJECT
    }

    /** Scales {@code c} of the multi-scale crop (SPEC section 1). */
    static final double[] SCALES = {1.0, 0.875, 0.75, 0.66};

    private final int size;
    private final int frames;
    private final int stride;
    private final boolean deterministic;
    private final boolean flip;
    private final ShortClipPolicy shortClipPolicy;
    private final long maxBytes;
    private final int maxWidth;
    private final int maxHeight;
    private final int maxFrames;
    private final Duration maxDecodeTime;
    private final int decoderThreads;
    private final boolean skipUnneeded;

    private DecodeOptions(Builder b) {
        this.size = b.size;
        this.frames = b.frames;
        this.stride = b.stride;
        this.deterministic = b.deterministic;
        this.flip = b.flip;
        this.shortClipPolicy = b.shortClipPolicy;
        this.maxBytes = b.maxBytes;
        this.maxWidth = b.maxWidth;
        this.maxHeight = b.maxHeight;
        this.maxFrames = b.maxFrames;
        this.maxDecodeTime = b.maxDecodeTime;
        this.decoderThreads = b.decoderThreads;
        this.skipUnneeded = b.skipUnneeded;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Input size {@code S}, a multiple of 16. */
    public int size() {
        return size;
    }

    /** Sampled frames {@code T}, even. */
    public int frames() {
        return frames;
    }

    /** Temporal stride {@code tau}. */
    public int stride() {
        return stride;
    }

    public boolean deterministic() {
        return deterministic;
    }

    /**
     * Whether training mode may flip a clip horizontally (default true); off where labels depend on
     * left and right, such as motion direction.
     */
    public boolean flip() {
        return flip;
    }

    public ShortClipPolicy shortClipPolicy() {
        return shortClipPolicy;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Frame width limit of a landscape frame; with {@link #maxHeight()} it bounds every decoded
     * frame in either orientation (see {@link #frameFits}).
     */
    public int maxWidth() {
        return maxWidth;
    }

    /** Frame height limit of a landscape frame; see {@link #maxWidth()}. */
    public int maxHeight() {
        return maxHeight;
    }

    /**
     * The pixel budget FFmpeg's decoders get ({@code max_pixels}): the limit box with 64 pixels to
     * spare each way, as FFmpeg checks the width padded to its stride alignment. A frame over it is
     * never allocated; one within it but over {@link #frameFits} is refused once decoded.
     */
    public long maxPixels() {
        return (long) (maxWidth + 64) * (maxHeight + 64);
    }

    /**
     * Whether a {@code width x height} frame is within the limits, independent of orientation: its
     * long side at most the larger of {@code maxWidth, maxHeight}, its short side at most the
     * smaller (so portrait 2160x3840 passes where landscape 3840x2160 does).
     */
    public boolean frameFits(int width, int height) {
        return width > 0
                && height > 0
                && Math.max(width, height) <= Math.max(maxWidth, maxHeight)
                && Math.min(width, height) <= Math.min(maxWidth, maxHeight);
    }

    /** Throws {@code limit_exceeded} unless {@link #frameFits} (a decoded frame or a header). */
    void checkFrameSize(int width, int height) throws DecodeException {
        if (!frameFits(width, height)) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "Frame size "
                            + width
                            + "x"
                            + height
                            + " exceeds the limit "
                            + maxWidth
                            + "x"
                            + maxHeight
                            + " (either orientation).");
        }
    }

    public int maxFrames() {
        return maxFrames;
    }

    public Duration maxDecodeTime() {
        return maxDecodeTime;
    }

    /** FFmpeg decoder threads per clip; 1 (default) when Flink runs one task slot per core. */
    public int decoderThreads() {
        return decoderThreads;
    }

    /**
     * Whether non-reference frames that are neither sampled nor the raw frame before one are left
     * undecoded (default true; MPEG-4 Part 2 and H.264 with one decoder thread, see {@link
     * FrameDecoder}). The frames produced are the same either way; off decodes every frame up to
     * the last needed one.
     */
    public boolean skipUnneeded() {
        return skipUnneeded;
    }

    /** Frames the sampling window spans without looping: {@code (T-1)*tau + 2} (SPEC section 1). */
    public int minFrames() {
        return (frames - 1) * stride + 2;
    }

    /** Builder: paper defaults S=224, T=16, tau=4, training mode, policy loop. */
    public static final class Builder {
        private int size = 224;
        private int frames = 16;
        private int stride = 4;
        private boolean deterministic;
        private boolean flip = true;
        private ShortClipPolicy shortClipPolicy = ShortClipPolicy.LOOP;
        private long maxBytes = 64L << 20;
        private int maxWidth = 3840;
        private int maxHeight = 2160;
        private int maxFrames = 100_000;
        private Duration maxDecodeTime = Duration.ofSeconds(30);
        private int decoderThreads = 1;
        private boolean skipUnneeded = true;

        private Builder() {}

        /** Leave unneeded non-reference frames undecoded (default true); same frames either way. */
        public Builder optSkipUnneeded(boolean skipUnneeded) {
            this.skipUnneeded = skipUnneeded;
            return this;
        }

        public Builder optDecoderThreads(int decoderThreads) {
            this.decoderThreads = decoderThreads;
            return this;
        }

        public Builder optSize(int size) {
            this.size = size;
            return this;
        }

        public Builder optFrames(int frames) {
            this.frames = frames;
            return this;
        }

        public Builder optStride(int stride) {
            this.stride = stride;
            return this;
        }

        public Builder optDeterministic(boolean deterministic) {
            this.deterministic = deterministic;
            return this;
        }

        /** Allow the random horizontal flip of training mode (default true). */
        public Builder optFlip(boolean flip) {
            this.flip = flip;
            return this;
        }

        public Builder optShortClipPolicy(ShortClipPolicy policy) {
            this.shortClipPolicy = policy;
            return this;
        }

        public Builder optMaxBytes(long maxBytes) {
            this.maxBytes = maxBytes;
            return this;
        }

        public Builder optMaxWidth(int maxWidth) {
            this.maxWidth = maxWidth;
            return this;
        }

        public Builder optMaxHeight(int maxHeight) {
            this.maxHeight = maxHeight;
            return this;
        }

        public Builder optMaxFrames(int maxFrames) {
            this.maxFrames = maxFrames;
            return this;
        }

        public Builder optMaxDecodeTime(Duration maxDecodeTime) {
            this.maxDecodeTime = maxDecodeTime;
            return this;
        }

        public DecodeOptions build() {
            if (size <= 0 || size % 16 != 0) {
                throw new IllegalArgumentException(
                        "Size must be a positive multiple of 16: " + size);
            }
            if (frames <= 0 || frames % 2 != 0) {
                throw new IllegalArgumentException("Frames must be positive and even: " + frames);
            }
            if (stride <= 0) {
                throw new IllegalArgumentException("Stride must be positive: " + stride);
            }
            if (decoderThreads <= 0) {
                throw new IllegalArgumentException("Decoder threads must be positive.");
            }
            if (maxBytes <= 0 || maxWidth <= 0 || maxHeight <= 0 || maxFrames <= 0) {
                throw new IllegalArgumentException("Limits must be positive.");
            }
            if (maxBytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("Max bytes must fit a Java array: " + maxBytes);
            }
            return new DecodeOptions(this);
        }
    }
}
