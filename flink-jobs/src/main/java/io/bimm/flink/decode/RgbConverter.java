package io.bimm.flink.decode;

import io.bimm.schemas.DeadLetterReason;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Converts decoded frames to RGB24 exactly as {@code FFmpegFrameGrabber} does (swscale at the same
 * size, {@code SWS_BILINEAR}, rows padded to a multiple of 64 bytes the way its {@code
 * initPictureRGB} pads them), so the samples keep the pixels of a plain grab ({@code
 * FrameDecoderTest} compares every frame). One buffer, reused: valid until the next call.
 */
final class RgbConverter implements AutoCloseable {
    private static final int RGB24 = avutil.AV_PIX_FMT_RGB24;

    private final PointerPointer<BytePointer> srcData = new PointerPointer<>(4);
    private final PointerPointer<BytePointer> dstData = new PointerPointer<>(4);
    private final IntPointer dstLinesize = new IntPointer(4);
    private SwsContext sws;
    private BytePointer rgb;
    private int width = -1;
    private int height = -1;

    /**
     * Converts {@code frame} ({@code w x h}, pixel format {@code format}); rows {@link #stride()}.
     */
    BytePointer convert(AVFrame frame, int w, int h, int format) throws DecodeException {
        if (w != width || h != height) {
            allocate(w, h);
        }
        sws =
                swscale.sws_getCachedContext(
                        sws,
                        w,
                        h,
                        format,
                        w,
                        h,
                        RGB24,
                        swscale.SWS_BILINEAR,
                        null,
                        null,
                        (DoublePointer) null);
        if (sws == null) {
            throw new DecodeException(
                    DeadLetterReason.DECODE_ERROR, "Cannot convert the frame to RGB24.");
        }
        for (int i = 0; i < 4; i++) {
            srcData.put(i, frame.data(i));
        }
        swscale.sws_scale(sws, srcData, frame.linesize(), 0, h, dstData, dstLinesize);
        return rgb;
    }

    /** Bytes per row of the last conversion. */
    int stride() {
        return dstLinesize.get(0);
    }

    private void allocate(int w, int h) {
        int aligned = w;
        for (int a = 1; a <= 64; a += a) {
            aligned = (w + a - 1) & ~(a - 1);
            avutil.av_image_fill_linesizes(dstLinesize, RGB24, aligned);
            if ((dstLinesize.get(0) & 63) == 0) {
                break;
            }
        }
        if (rgb != null) {
            avutil.av_free(rgb);
        }
        int size = avutil.av_image_get_buffer_size(RGB24, aligned, h, 1);
        rgb = new BytePointer(avutil.av_malloc(size)).capacity(size);
        avutil.av_image_fill_arrays(dstData, dstLinesize, rgb, RGB24, aligned, h, 1);
        width = w;
        height = h;
    }

    @Override
    public void close() {
        if (sws != null) {
            swscale.sws_freeContext(sws);
            sws = null;
        }
        if (rgb != null) {
            avutil.av_free(rgb);
            rgb = null;
        }
        srcData.close();
        dstData.close();
        dstLinesize.close();
    }
}
