package io.bimm.flink.decode;

import io.bimm.flink.ingest.ImageProbe;
import io.bimm.flink.ingest.IngestException;
import io.bimm.flink.sample.SampleRandom;
import io.bimm.schemas.DeadLetterReason;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Decodes an untrusted still image (JPEG or PNG) and samples it as SPEC section 1 samples a ventral
 * image: short side scaled to {@code S / c} (bilinear), an {@code S x S} crop at a random position
 * and an optional horizontal flip; {@code c = 1}, centre crop and no flip when deterministic.
 *
 * <p>The untrusted-input rules of clips apply: the byte limit ({@code prep.max-bytes}) first, then
 * the format and size from the header ({@link ImageProbe}, nothing decoded) against the frame box
 * ({@code prep.max-width}/{@code max-height}, either orientation), and only then OpenCV's {@code
 * imdecode}, whose result is checked again. Only JPEG and PNG reach OpenCV, so none of its other
 * codecs parses hostile bytes. Decode time is bounded by the pixel limit. Not thread safe.
 */
public final class ImageDecoder implements AutoCloseable {

    private final DecodeOptions options;
    private final Mat rgb = new Mat();
    private final FrameTransform transform = new FrameTransform();

    public ImageDecoder(DecodeOptions options) {
        this.options = options;
    }

    /**
     * The sampled RGB image, (S, S, 3) uint8 channel-last; its crop and flip are a function of (run
     * seed, image id, draw), drawn from the same stream a clip's are.
     *
     * @throws DecodeException {@code over_size}, {@code not_image}, {@code limit_exceeded} or
     *     {@code decode_error}
     */
    public byte[] decode(byte[] data, String imageId, long runSeed, int draw)
            throws DecodeException {
        if (data == null || data.length == 0) {
            throw new DecodeException(DeadLetterReason.NOT_IMAGE, "Empty image data.");
        }
        if (data.length > options.maxBytes()) {
            throw new DecodeException(
                    DeadLetterReason.OVER_SIZE,
                    data.length + " bytes, limit " + options.maxBytes() + " (prep.max-bytes).");
        }
        ImageProbe.Info info = probe(data);
        options.checkFrameSize(info.width(), info.height());
        try (BytePointer bytes = new BytePointer(data);
                Mat buf = new Mat(1, data.length, opencv_core.CV_8UC1, bytes);
                Mat bgr = opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_COLOR)) {
            if (bgr.empty()) {
                throw new DecodeException(
                        DeadLetterReason.DECODE_ERROR,
                        "The " + info.format() + " image's data cannot be decoded.");
            }
            if (bgr.cols() != info.width() || bgr.rows() != info.height()) {
                throw new DecodeException(
                        DeadLetterReason.DECODE_ERROR,
                        "Decoded "
                                + bgr.cols()
                                + "x"
                                + bgr.rows()
                                + ", the header said "
                                + info.width()
                                + "x"
                                + info.height()
                                + ".");
            }
            opencv_imgproc.cvtColor(bgr, rgb, opencv_imgproc.COLOR_BGR2RGB);
        }
        return sample(rgb, SampleRandom.of(runSeed, imageId, draw, SampleRandom.Purpose.SAMPLING));
    }

    private static ImageProbe.Info probe(byte[] data) throws DecodeException {
        try {
            return ImageProbe.probe(data);
        } catch (IngestException e) {
            DeadLetterReason reason =
                    e.reason() == DeadLetterReason.NOT_VIDEO
                            ? DeadLetterReason.NOT_IMAGE
                            : DeadLetterReason.DECODE_ERROR;
            throw new DecodeException(reason, "The image " + e.getMessage() + ".", e);
        } catch (RuntimeException e) {
            // ImageIO's readers may throw unchecked exceptions on hostile headers.
            throw new DecodeException(
                    DeadLetterReason.DECODE_ERROR, "The image header is damaged: " + e, e);
        }
    }

    /** SPEC 1 scale, crop and flip, with the draws in the order {@link ClipDecoder} takes them. */
    private byte[] sample(Mat src, SplittableRandom rnd) {
        int s = options.size();
        int width = src.cols();
        int height = src.rows();
        double c = options.deterministic() ? 1.0 : DecodeOptions.SCALES[rnd.nextInt(4)];
        int shortSide = Math.min(width, height);
        double target = Math.round(s / c);
        int nw = Math.max(s, (int) Math.round(width * target / shortSide));
        int nh = Math.max(s, (int) Math.round(height * target / shortSide));
        int cropX = options.deterministic() ? (nw - s) / 2 : rnd.nextInt(nw - s + 1);
        int cropY = options.deterministic() ? (nh - s) / 2 : rnd.nextInt(nh - s + 1);
        boolean flip = !options.deterministic() && rnd.nextBoolean() && options.flip();
        try (Size dsize = new Size(nw, nh);
                Rect roi = new Rect(cropX, cropY, s, s)) {
            return transform.apply(src, dsize, roi, flip);
        }
    }

    @Override
    public void close() {
        rgb.close();
        transform.close();
    }
}
