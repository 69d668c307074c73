package io.bimm.flink.finetune;

import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.decode.ImageDecoder;
import io.bimm.flink.ingest.IngestException;
import io.bimm.flink.ingest.InputFile;
import io.bimm.model.Branch;
import io.bimm.model.finetune.Patchify;
import io.bimm.schemas.DeadLetterReason;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Samples one file into encoder tokens through the same decode path as ingested clips ({@link
 * ClipDecoder}, SPEC 1): dorsal, the T sampled frames as tubelets; ventral, one sampled frame
 * (frame 0 when deterministic) as patches, or a still image (JPEG/PNG) sampled by the training
 * job's {@link ImageDecoder} (centre crop when deterministic). Not thread safe.
 */
public final class ClipTokens implements AutoCloseable {

    private final DecodeOptions options;
    private final ClipDecoder decoder;
    private final ImageDecoder images;
    private final long seed;

    /** A sampler with these sampling options and run seed. */
    public ClipTokens(DecodeOptions options, long seed) {
        this.options = options;
        this.decoder = new ClipDecoder(options);
        this.images = new ImageDecoder(options);
        this.seed = seed;
    }

    public DecodeOptions options() {
        return options;
    }

    /** Whether {@code file} is a still image by its name. */
    public static boolean isImage(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    /**
     * Token bytes of {@code input} for one branch; {@code draw} varies the random sampling. The
     * file is read under {@link InputFile}'s rules and the options' limits, as ingest reads it.
     */
    public byte[] tokens(InputFile input, Branch branch, int draw)
            throws IOException, DecodeException {
        int s = options.size();
        Path file = input.path();
        if (isImage(file)) {
            if (branch == Branch.DORSAL) {
                throw new DecodeException(
                        DeadLetterReason.NOT_VIDEO,
                        file
                                + " is an image; the dorsal branch needs videos (use --branch ventral).");
            }
            return Patchify.patches(image(file, read(input), draw), s);
        }
        byte[] data = read(input);
        DecodedClip clip = decoder.decode(data, file.getFileName().toString(), seed, draw);
        if (branch == Branch.DORSAL) {
            return Patchify.tubelets(clip.x(), s);
        }
        int frame =
                options.deterministic()
                        ? 0
                        : new java.util.SplittableRandom(seed * 31 + draw).nextInt(clip.frames());
        return Patchify.patches(clip.x()[frame], s);
    }

    private byte[] read(InputFile input) throws DecodeException {
        try {
            return input.read(options.maxBytes(), "-D prep.max-bytes").bytes();
        } catch (IngestException e) {
            throw new DecodeException(e.reason(), e.getMessage(), e);
        }
    }

    /**
     * RGB (S, S, 3) of an image file's bytes, sampled as the training job samples an image ({@link
     * ImageDecoder}: the same limits checked before decoding, the same errors, the file named).
     */
    private byte[] image(Path file, byte[] data, int draw) throws DecodeException {
        try {
            return images.decode(data, file.getFileName().toString(), seed, draw);
        } catch (DecodeException e) {
            throw new DecodeException(e.reason(), file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        decoder.close();
        images.close();
    }
}
