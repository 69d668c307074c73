package io.bimm.flink.sample;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.decode.ImageDecoder;
import io.bimm.flink.masking.Mask;
import io.bimm.flink.masking.MaskGenerator;
import io.bimm.flink.targets.ClipTargets;
import io.bimm.flink.targets.TargetComputer;

/**
 * The per-image path, bytes through masked sample: decode and sample ({@link ImageDecoder}, SPEC
 * 1), ventral targets as for a video frame (SPEC 2: Gabor, contour, RGB), random mask (SPEC 3). The
 * result is a {@link TrainingSample} whose dorsal part is absent (empty arrays, {@link #isImage}).
 * Not thread safe.
 */
public final class ImageSamples implements AutoCloseable {

    private static final int[] NONE = new int[0];

    private final PrepOptions options;
    private final ImageDecoder decoder;
    private final TargetComputer targets;

    public ImageSamples(PrepOptions options) {
        this.options = options;
        this.decoder = new ImageDecoder(options.decode());
        this.targets = new TargetComputer(options.decode().size());
    }

    /** Whether {@code s} came from an image: it has no dorsal part. */
    public static boolean isImage(TrainingSample s) {
        return s.dorsalVisibleIdx.length == 0 && s.dorsalMaskedIdx.length == 0;
    }

    /** One image's sample; the exception carries the dead-letter reason. */
    public TrainingSample process(byte[] data, String imageId, int draw) throws DecodeException {
        int s = options.decode().size();
        byte[] rgb = decoder.decode(data, imageId, options.seed(), draw);
        // The image as a one-frame clip: its own "previous frame", so motion (unused) is zero.
        DecodedClip clip =
                new DecodedClip(
                        s,
                        new byte[][] {rgb},
                        new byte[][] {rgb},
                        1,
                        0,
                        new int[] {0},
                        new int[] {0},
                        1.0,
                        0,
                        0,
                        false,
                        1);
        ClipTargets tg = targets.compute(clip);
        int g = s / SampleAssembler.PATCH;
        Mask ventral =
                MaskGenerator.random(
                        g * g,
                        options.ventralMaskRatio(),
                        SampleRandom.of(
                                options.seed(), imageId, draw, SampleRandom.Purpose.VENTRAL_MASK));
        return SampleAssembler.assemble(imageId, draw, clip, tg, 0, ventral, new Mask(NONE, NONE));
    }

    @Override
    public void close() throws Exception {
        decoder.close();
        targets.close();
    }
}
