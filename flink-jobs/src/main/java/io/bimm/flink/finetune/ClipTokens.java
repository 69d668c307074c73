package io.bimm.flink.finetune;

import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.ingest.ImageProbe;
import io.bimm.flink.ingest.IngestException;
import io.bimm.flink.ingest.InputFile;
import io.bimm.model.Branch;
import io.bimm.model.finetune.Patchify;
import io.bimm.schemas.DeadLetterReason;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Samples one file into encoder tokens through the same decode path as ingested clips ({@link
 * ClipDecoder}, SPEC 1): dorsal, the T sampled frames as tubelets; ventral, one sampled frame
 * (frame 0 when deterministic) as patches, or a still image (JPEG/PNG) scaled so its short side is
 * S and centre-cropped. Not thread safe.
 */
public final class ClipTokens implements AutoCloseable {

    private final DecodeOptions options;
    private final ClipDecoder decoder;
    private final long seed;

    /** A sampler with these sampling options and run seed. */
    public ClipTokens(DecodeOptions options, long seed) {
        this.options = options;
        this.decoder = new ClipDecoder(options);
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
                        io.bimm.schemas.DeadLetterReason.NOT_VIDEO,
                        file
                                + " is an image; the dorsal branch needs videos (use --branch ventral).");
            }
            return Patchify.patches(image(file, read(input), options), s);
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
     * RGB (S, S, 3) of an image file's bytes: short side scaled to S (bilinear), centre crop. The
     * header's size is checked against the frame-size limits before anything is decoded.
     */
    static byte[] image(Path file, byte[] data, DecodeOptions options) throws DecodeException {
        int s = options.size();
        ImageProbe.Info info;
        try {
            info = ImageProbe.probe(data);
        } catch (IngestException e) {
            throw new DecodeException(e.reason(), file + ": " + e.getMessage(), e);
        }
        if (info.width() > options.maxWidth() || info.height() > options.maxHeight()) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    file
                            + " is "
                            + info.width()
                            + "x"
                            + info.height()
                            + ", over the limit "
                            + options.maxWidth()
                            + "x"
                            + options.maxHeight()
                            + " (prep.max-width, prep.max-height)");
        }
        try (Mat buf = new Mat(new BytePointer(data));
                Mat bgr = opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_COLOR);
                Mat rgb = new Mat();
                Mat scaled = new Mat()) {
            if (bgr.empty()) {
                throw new DecodeException(
                        io.bimm.schemas.DeadLetterReason.NOT_VIDEO, "Cannot decode image " + file);
            }
            opencv_imgproc.cvtColor(bgr, rgb, opencv_imgproc.COLOR_BGR2RGB);
            double f = (double) s / Math.min(rgb.cols(), rgb.rows());
            int w = Math.max(s, (int) Math.round(rgb.cols() * f));
            int h = Math.max(s, (int) Math.round(rgb.rows() * f));
            opencv_imgproc.resize(rgb, scaled, new Size(w, h), 0, 0, opencv_imgproc.INTER_LINEAR);
            try (Mat crop = new Mat(scaled, new Rect((w - s) / 2, (h - s) / 2, s, s)).clone()) {
                byte[] out = new byte[s * s * 3];
                crop.data().get(out);
                return out;
            }
        }
    }

    @Override
    public void close() {
        decoder.close();
    }
}
