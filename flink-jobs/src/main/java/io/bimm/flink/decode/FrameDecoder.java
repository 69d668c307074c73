package io.bimm.flink.decode;

import io.bimm.schemas.DeadLetterReason;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes the packets of a {@link DemuxedVideo} in order and hands the frames asked for over as
 * RGB24, converted exactly as {@code FFmpegFrameGrabber} converts them (swscale, {@code
 * SWS_BILINEAR}, the same row alignment), so the pixels are those of a plain grab.
 *
 * <p>Frame {@code k} is the k-th frame the decoder outputs (SPEC 1's decoded frames). With skipping
 * on, MPEG-4 Part 2 B-frames that are not asked for are not decoded at all ({@code skip_frame =
 * noref} for their packet): no other frame references them, so the others decode to the same
 * pixels. Such a decoder outputs B-frames as soon as their packet is decoded and each I/P-frame one
 * reference later, so the frame that comes out while packet {@code p} is decoded is always the next
 * one in display order, and a B-frame skipped there is counted in its place. The bookkeeping is
 * checked against the packets' identities (their pts, set to the decode position) and, should the
 * stream not follow that model, {@link SkipMismatch} is thrown and the caller decodes without
 * skipping. Not thread safe.
 */
final class FrameDecoder implements AutoCloseable {
    /** Receives a decoded frame's RGB24 rows. */
    interface FrameSink {
        void accept(int index, BytePointer rgb, int width, int height, int stride)
                throws DecodeException;
    }

    /** Called with the frame count reached; throws when a limit is broken. */
    interface LimitCheck {
        void check(int frames) throws DecodeException;
    }

    /** The stream does not behave as skipping assumes; decode it again without skipping. */
    static final class SkipMismatch extends Exception {
        private static final long serialVersionUID = 1L;

        SkipMismatch(String message) {
            super(message, null, false, false);
        }
    }

    private final int threads;
    private final AVFrame picture = avutil.av_frame_alloc();
    private final PointerPointer<BytePointer> srcData = new PointerPointer<>(4);
    private final PointerPointer<BytePointer> dstData = new PointerPointer<>(4);
    private final IntPointer dstLinesize = new IntPointer(4);
    private SwsContext sws;
    private BytePointer rgb;
    private int rgbWidth = -1;
    private int rgbHeight = -1;
    private int framesDecoded;

    FrameDecoder(int threads) {
        this.threads = threads;
    }

    /** Frames the decoder produced since creation (skipped frames are not decoded). */
    int framesDecoded() {
        return framesDecoded;
    }

    /** Whether skipping can apply to this stream (MPEG-4 Part 2, one decoder thread). */
    boolean canSkip(DemuxedVideo video) {
        return threads == 1 && video.codecParameters().codec_id() == avcodec.AV_CODEC_ID_MPEG4;
    }

    /**
     * Decodes frames {@code 0..last} (or all when {@code last} is {@link Integer#MAX_VALUE}),
     * passing those {@code needed} to {@code sink}.
     *
     * @return the number of frames reached: {@code last + 1}, or fewer when the stream ended first
     * @throws SkipMismatch only when {@code skip} is true
     */
    int decode(
            DemuxedVideo video,
            IntPredicate needed,
            int last,
            boolean skip,
            FrameSink sink,
            LimitCheck limits)
            throws DecodeException, SkipMismatch {
        skip = skip && canSkip(video);
        AVCodecContext c = openCodec(video.codecParameters());
        try {
            return run(c, video, needed, last, skip, sink, limits);
        } finally {
            avcodec.avcodec_free_context(c);
        }
    }

    private int run(
            AVCodecContext c,
            DemuxedVideo video,
            IntPredicate needed,
            int last,
            boolean skip,
            FrameSink sink,
            LimitCheck limits)
            throws DecodeException, SkipMismatch {
        int n = video.packetCount();
        byte[] skippable = skip ? Mpeg4BFrames.skippable(video) : null;
        int k = 0; // display index of the next frame to come out
        boolean steady = false; // a frame came out: references exist, B-frames can decode
        boolean skipped = false;
        int lost = -1; // the packet whose kept B-frame a skip took along
        Set<Long> seen = skip ? new HashSet<>() : null;
        for (int p = 0; p <= n; p++) {
            AVPacket pkt = p < n ? video.packet(p) : null;
            byte can = pkt != null && skip && steady ? skippable[p] : Mpeg4BFrames.NO;
            boolean skipping =
                    p == lost
                            || (can == Mpeg4BFrames.ALONE && !needed.test(k))
                            || (can == Mpeg4BFrames.WITH_NEXT
                                    && !needed.test(k)
                                    && !needed.test(k + 1));
            if (skip && pkt != null) {
                pkt.pts(p); // identifies the packet a frame came from, for the checks
            }
            c.skip_frame(skipping ? avcodec.AVDISCARD_NONREF : avcodec.AVDISCARD_DEFAULT);
            // As FFmpegFrameGrabber: errors of one packet are not fatal, the next may decode.
            avcodec.avcodec_send_packet(c, pkt);
            int out = 0;
            while (avcodec.avcodec_receive_frame(c, picture) >= 0) {
                out++;
                framesDecoded++;
                if (skip) {
                    check(p, out, pkt == null, seen);
                }
                steady = true;
                int index = k++;
                limits.check(k);
                if (needed.test(index)) {
                    convert(c, index, sink);
                }
                avutil.av_frame_unref(picture);
                if (index >= last) {
                    return k;
                }
            }
            if (p == lost && out > 0) {
                throw new SkipMismatch("A frame came out of packet " + p + ", expected none.");
            }
            if (skipping && out == 0) {
                // The skipped B-frame would have come out here: it is frame k.
                skipped = true;
                if (can == Mpeg4BFrames.WITH_NEXT) {
                    lost = p + 1;
                }
                seen.add((long) p);
                k++;
                limits.check(k);
                if (k > last) {
                    return k;
                }
            } else if (skipped && out == 0 && pkt != null) {
                // A frame went missing after a skip: the model does not fit this stream.
                throw new SkipMismatch("No frame came out of packet " + p + ".");
            }
        }
        return k;
    }

    /** The frame that came out must be the one the model says: else the caller starts over. */
    private void check(int p, int out, boolean flushing, Set<Long> seen) throws SkipMismatch {
        long slot = picture.pts();
        if (slot < 0 || slot > p || !seen.add(slot)) {
            throw new SkipMismatch("Frame of packet " + slot + " came out at packet " + p + ".");
        }
        if (picture.pict_type() == avutil.AV_PICTURE_TYPE_B && slot != p) {
            throw new SkipMismatch("B-frame of packet " + slot + " came out late.");
        }
        if (out > 1 && !flushing) {
            throw new SkipMismatch("Two frames came out of packet " + p + ".");
        }
    }

    private AVCodecContext openCodec(AVCodecParameters par) throws DecodeException {
        AVCodec codec = avcodec.avcodec_find_decoder(par.codec_id());
        if (codec == null) {
            throw new DecodeException(DeadLetterReason.DECODE_ERROR, "No decoder for the codec.");
        }
        AVCodecContext c = avcodec.avcodec_alloc_context3(codec);
        AVDictionary opts = new AVDictionary(null);
        try {
            if (avcodec.avcodec_parameters_to_context(c, par) < 0) {
                throw new DecodeException(
                        DeadLetterReason.DECODE_ERROR, "Cannot copy the stream parameters.");
            }
            // The settings FFmpegFrameGrabber opens its decoder with.
            avutil.av_dict_set(opts, "threads", Integer.toString(threads), 0);
            c.thread_count(0);
            if (avcodec.avcodec_open2(c, codec, opts) < 0) {
                throw new DecodeException(
                        DeadLetterReason.DECODE_ERROR, "Cannot open the decoder.");
            }
            return c;
        } catch (DecodeException e) {
            avcodec.avcodec_free_context(c);
            throw e;
        } finally {
            avutil.av_dict_free(opts);
        }
    }

    private void convert(AVCodecContext c, int index, FrameSink sink) throws DecodeException {
        int w = c.width();
        int h = c.height();
        int fmt = avutil.AV_PIX_FMT_RGB24;
        if (w != rgbWidth || h != rgbHeight) {
            allocateRgb(w, h);
        }
        sws =
                swscale.sws_getCachedContext(
                        sws,
                        w,
                        h,
                        c.pix_fmt(),
                        w,
                        h,
                        fmt,
                        swscale.SWS_BILINEAR,
                        null,
                        null,
                        (DoublePointer) null);
        if (sws == null) {
            throw new DecodeException(
                    DeadLetterReason.DECODE_ERROR, "Cannot convert the frame to RGB24.");
        }
        for (int i = 0; i < 4; i++) {
            srcData.put(i, picture.data(i));
        }
        swscale.sws_scale(sws, srcData, picture.linesize(), 0, h, dstData, dstLinesize);
        sink.accept(index, rgb, w, h, dstLinesize.get(0));
    }

    /** RGB24 rows padded as FFmpegFrameGrabber.initPictureRGB pads them (stride % 64 == 0). */
    private void allocateRgb(int w, int h) {
        int fmt = avutil.AV_PIX_FMT_RGB24;
        int aligned = w;
        for (int a = 1; a <= 64; a += a) {
            aligned = (w + a - 1) & ~(a - 1);
            avutil.av_image_fill_linesizes(dstLinesize, fmt, aligned);
            if ((dstLinesize.get(0) & 63) == 0) {
                break;
            }
        }
        if (rgb != null) {
            avutil.av_free(rgb);
        }
        int size = avutil.av_image_get_buffer_size(fmt, aligned, h, 1);
        rgb = new BytePointer(avutil.av_malloc(size)).capacity(size);
        avutil.av_image_fill_arrays(dstData, dstLinesize, rgb, fmt, aligned, h, 1);
        rgbWidth = w;
        rgbHeight = h;
    }

    @Override
    public void close() {
        avutil.av_frame_free(picture);
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
