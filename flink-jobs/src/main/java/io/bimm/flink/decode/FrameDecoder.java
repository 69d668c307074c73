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
import org.bytedeco.javacpp.BytePointer;

/**
 * Decodes the packets of a {@link DemuxedVideo} in order and hands the frames asked for over as
 * RGB24 ({@link RgbConverter}: the pixels of a plain {@code FFmpegFrameGrabber} grab).
 *
 * <p>Frame {@code k} is the k-th frame the decoder outputs (SPEC 1's decoded frames). With skipping
 * on, non-reference frames that are not asked for are not decoded at all ({@code skip_frame =
 * noref} for their packet): no other frame references them, so the others decode to the same
 * pixels. What is needed is which display index a packet's frame has, before sending it:
 *
 * <ul>
 *   <li>MPEG-4 Part 2 outputs B-frames as soon as their packet is decoded and each I/P-frame one
 *       reference later, so the frame that comes out while packet {@code p} is decoded is always
 *       the next in display order, and a B-frame skipped there is counted in its place ({@link
 *       Mpeg4BFrames} for packed B-frames).
 *   <li>H.264 outputs by picture order count: {@link H264Order} predicts the display order from the
 *       slice headers; used when the decoder's reorder delay covers it.
 * </ul>
 *
 * The bookkeeping is checked against the packets' identities (their pts, set to the decode
 * position) and, should the stream not follow the model, {@link SkipMismatch} is thrown and the
 * caller decodes without skipping. Not thread safe.
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

    private static final int AGAIN = -11; // AVERROR(EAGAIN) on Linux

    private final int threads;
    private final DecodeOptions limits;
    private final AVFrame picture = avutil.av_frame_alloc();
    private final RgbConverter toRgb = new RgbConverter();
    private int framesDecoded;

    /** Decodes with {@code options}' decoder threads, every frame held to its size limits. */
    FrameDecoder(DecodeOptions options) {
        this.threads = options.decoderThreads();
        this.limits = options;
    }

    /** Frames the decoder produced since creation (skipped frames are not decoded). */
    int framesDecoded() {
        return framesDecoded;
    }

    /** Whether skipping can apply to this stream (MPEG-4 Part 2 or H.264, one decoder thread). */
    boolean canSkip(DemuxedVideo video) {
        int codec = video.codecParameters().codec_id();
        return threads == 1
                && (codec == avcodec.AV_CODEC_ID_MPEG4 || codec == avcodec.AV_CODEC_ID_H264);
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
            if (skip && video.codecParameters().codec_id() == avcodec.AV_CODEC_ID_H264) {
                int[] disp = H264Order.displayIndices(video);
                if (disp != null && H264Order.reorderDepth(disp) <= c.has_b_frames()) {
                    return runInOrder(c, video, disp, needed, last, sink, limits);
                }
                skip = false;
            }
            return run(c, video, needed, last, skip, sink, limits);
        } finally {
            avcodec.avcodec_free_context(c);
        }
    }

    /**
     * Decodes in order, counting frames as they come out; with {@code skip}, MPEG-4 Part 2 B-frames
     * are skipped and counted where they would have come out.
     */
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
            int out = 0;
            sent(c, avcodec.avcodec_send_packet(c, pkt));
            while (receive(c)) {
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

    /**
     * Decodes with the display order known in advance ({@code disp}, H.264): a packet whose frame
     * is not needed goes with {@code skip_frame = noref}. Each frame that comes out must be the
     * next in that order but for frames sent that way and never seen (skipped).
     */
    private int runInOrder(
            AVCodecContext c,
            DemuxedVideo video,
            int[] disp,
            IntPredicate needed,
            int last,
            FrameSink sink,
            LimitCheck limits)
            throws DecodeException, SkipMismatch {
        int n = video.packetCount();
        int[] packetOf = new int[n];
        for (int p = 0; p < n; p++) {
            packetOf[disp[p]] = p;
        }
        boolean[] sentSkipping = new boolean[n];
        boolean[] cameOut = new boolean[n];
        int shown = -1; // display index of the last frame out
        for (int p = 0; p <= n; p++) {
            AVPacket pkt = p < n ? video.packet(p) : null;
            // Frames shown before the first packet's (leading pictures) are never skipped: a
            // decoder may drop them, and a dropped frame must be seen to be counted.
            boolean skipping = pkt != null && disp[p] > disp[0] && !needed.test(disp[p]);
            if (pkt != null) {
                pkt.pts(p);
                sentSkipping[p] = skipping;
            }
            c.skip_frame(skipping ? avcodec.AVDISCARD_NONREF : avcodec.AVDISCARD_DEFAULT);
            sent(c, avcodec.avcodec_send_packet(c, pkt));
            while (receive(c)) {
                framesDecoded++;
                long slot = picture.pts();
                if (slot < 0 || slot > p || slot >= n || cameOut[(int) slot]) {
                    throw new SkipMismatch("Frame of packet " + slot + " at packet " + p + ".");
                }
                int d = disp[(int) slot];
                if (d <= shown) {
                    throw new SkipMismatch("Frame " + d + " came out after frame " + shown + ".");
                }
                for (int e = shown + 1; e < d; e++) {
                    int q = packetOf[e];
                    if (!sentSkipping[q] || q > p) {
                        throw new SkipMismatch("Frame " + d + " came out before frame " + e + ".");
                    }
                }
                cameOut[(int) slot] = true;
                shown = d;
                limits.check(d + 1);
                if (needed.test(d)) {
                    convert(c, d, sink);
                }
                avutil.av_frame_unref(picture);
                if (d >= last) {
                    return d + 1;
                }
            }
        }
        return shown + 1;
    }

    /**
     * As FFmpegFrameGrabber, an error of one packet is not fatal (the next may decode), unless the
     * decoder refused a frame size over its {@code max_pixels}: FFmpeg then either zeroes its size
     * (new dimensions refused) or keeps the new size (frame buffer refused).
     */
    private void sent(AVCodecContext c, int ret) throws DecodeException {
        if (ret < 0
                && ret != avutil.AVERROR_EOF
                && ret != AGAIN
                && !limits.frameFits(c.width(), c.height())) {
            String size = c.width() > 0 ? " (" + c.width() + "x" + c.height() + ")" : "";
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "A frame"
                            + size
                            + " is larger than the limit "
                            + limits.maxWidth()
                            + "x"
                            + limits.maxHeight()
                            + " (either orientation); the decoder refused it.");
        }
    }

    /**
     * Receives the next frame into {@code picture}, held to the size limits before anything
     * converts it.
     */
    private boolean receive(AVCodecContext c) throws DecodeException {
        int ret = avcodec.avcodec_receive_frame(c, picture);
        if (ret < 0) {
            sent(c, ret);
            return false;
        }
        try {
            limits.checkFrameSize(picture.width(), picture.height());
        } catch (DecodeException e) {
            avutil.av_frame_unref(picture);
            throw e;
        }
        return true;
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
            // No frame over the pixel limit is allocated, whatever the headers said.
            c.max_pixels(limits.maxPixels());
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
        // The frame's own size and format: a stream may change them from frame to frame.
        int w = picture.width();
        int h = picture.height();
        BytePointer rgb = toRgb.convert(picture, w, h, picture.format());
        sink.accept(index, rgb, w, h, toRgb.stride());
    }

    @Override
    public void close() {
        avutil.av_frame_free(picture);
        toRgb.close();
    }
}
