package io.bimm.flink.decode;

import io.bimm.schemas.DeadLetterReason;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;

/**
 * A clip's container opened once from memory, with the packets of its video stream read into
 * memory: their number is SPEC 1's {@code F} (headers are not trusted for it), and {@link
 * FrameDecoder} decodes from them as often as needed without opening or demuxing again.
 */
final class DemuxedVideo implements AutoCloseable {
    /** Called with the number of packets read so far; throws when a limit is broken. */
    interface LimitCheck {
        void check(int frames) throws DecodeException;
    }

    private final FFmpegFrameGrabber grabber;
    private final int stream;
    private final List<AVPacket> packets = new ArrayList<>();

    private DemuxedVideo(FFmpegFrameGrabber grabber, int stream) {
        this.grabber = grabber;
        this.stream = stream;
    }

    /**
     * Opens {@code data} (probing decodes a few frames, so this happens once per clip) and reads
     * the video packets.
     *
     * @throws DecodeException {@code not_video} when FFmpeg cannot open it or it has no video
     *     stream, {@code limit_exceeded} for a frame size over the limits or by {@code limits}
     */
    static DemuxedVideo open(byte[] data, DecodeOptions options, LimitCheck limits)
            throws DecodeException {
        FFmpegFrameGrabber grabber =
                new FFmpegFrameGrabber(new ByteArrayInputStream(data), data.length + 1);
        grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        grabber.setVideoOption("threads", Integer.toString(options.decoderThreads()));
        try {
            grabber.start();
        } catch (FFmpegFrameGrabber.Exception | RuntimeException e) {
            closeQuietly(grabber);
            throw new DecodeException(
                    DeadLetterReason.NOT_VIDEO,
                    "FFmpeg cannot open the clip: " + e.getMessage(),
                    e);
        }
        DemuxedVideo video = null;
        try {
            checkVideo(grabber, options);
            video = new DemuxedVideo(grabber, firstVideoStream(grabber.getFormatContext()));
            video.readPackets(limits);
            return video;
        } catch (DecodeException | RuntimeException e) {
            if (video != null) {
                video.close();
            } else {
                closeQuietly(grabber);
            }
            throw e;
        }
    }

    private static void checkVideo(FFmpegFrameGrabber grabber, DecodeOptions options)
            throws DecodeException {
        String format = String.valueOf(grabber.getFormat());
        int w = grabber.getImageWidth();
        int h = grabber.getImageHeight();
        if (w <= 0
                || h <= 0
                || format.endsWith("_pipe")
                || format.startsWith("image2")
                || format.equals("gif")) {
            throw new DecodeException(
                    DeadLetterReason.NOT_VIDEO,
                    "No video stream (format " + format + ", " + w + "x" + h + ").");
        }
        if (w > options.maxWidth() || h > options.maxHeight()) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "Frame size "
                            + w
                            + "x"
                            + h
                            + " exceeds the limit "
                            + options.maxWidth()
                            + "x"
                            + options.maxHeight()
                            + ".");
        }
    }

    /** The stream FFmpegFrameGrabber decodes: the first video stream. */
    private static int firstVideoStream(AVFormatContext ic) {
        for (int i = 0; i < ic.nb_streams(); i++) {
            if (ic.streams(i).codecpar().codec_type() == avutil.AVMEDIA_TYPE_VIDEO) {
                return i;
            }
        }
        return -1;
    }

    private void readPackets(LimitCheck limits) throws DecodeException {
        try {
            AVPacket pkt;
            while ((pkt = grabber.grabPacket()) != null) {
                if (pkt.stream_index() == stream) {
                    // A new reference to the demuxer's buffer, no copy.
                    packets.add(avcodec.av_packet_clone(pkt));
                    limits.check(packets.size());
                }
                avcodec.av_packet_unref(pkt);
            }
        } catch (FFmpegFrameGrabber.Exception e) {
            throw new DecodeException(
                    DeadLetterReason.DECODE_ERROR, "Demuxing failed: " + e.getMessage(), e);
        }
    }

    int width() {
        return grabber.getImageWidth();
    }

    int height() {
        return grabber.getImageHeight();
    }

    /** Video packets in decode order, one frame each in a well-formed stream. */
    int packetCount() {
        return packets.size();
    }

    AVPacket packet(int i) {
        return packets.get(i);
    }

    AVCodecParameters codecParameters() {
        return grabber.getFormatContext().streams(stream).codecpar();
    }

    @Override
    public void close() {
        for (AVPacket p : packets) {
            avcodec.av_packet_free(p);
        }
        packets.clear();
        closeQuietly(grabber);
    }

    private static void closeQuietly(FFmpegFrameGrabber g) {
        try {
            g.close();
        } catch (Exception ignored) {
            // Nothing more to release.
        }
    }
}
