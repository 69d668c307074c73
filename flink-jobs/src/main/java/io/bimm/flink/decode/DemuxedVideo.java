package io.bimm.flink.decode;

import io.bimm.schemas.DeadLetterReason;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;

/**
 * A clip's container opened once from memory ({@link MediaInput}), with the packets of its video
 * stream read into memory: their number is SPEC 1's {@code F} (headers are not trusted for it), and
 * {@link FrameDecoder} decodes from them as often as needed without opening or demuxing again.
 */
final class DemuxedVideo implements AutoCloseable {
    /** Called with the number of packets read so far; throws when a limit is broken. */
    interface LimitCheck {
        void check(int frames) throws DecodeException;
    }

    private final MediaInput input;
    private final int stream;
    private final List<AVPacket> packets = new ArrayList<>();

    private DemuxedVideo(MediaInput input) {
        this.input = input;
        this.stream = input.videoStream();
    }

    /**
     * Opens {@code data} (probing decodes a few frames, so this happens once per clip) and reads
     * the video packets, all before {@code deadline} ({@link System#nanoTime()}).
     *
     * @throws DecodeException {@code not_video} when it is not an allowed container FFmpeg can open
     *     or has no video stream, {@code limit_exceeded} for a header frame size over the limits,
     *     past the deadline or by {@code limits}
     */
    static DemuxedVideo open(byte[] data, DecodeOptions options, long deadline, LimitCheck limits)
            throws DecodeException {
        MediaInput input =
                MediaInput.open(data, deadline, options.maxPixels(), options::checkFrameSize);
        DemuxedVideo video = new DemuxedVideo(input);
        try {
            video.checkVideo(options);
            video.readPackets(limits);
            return video;
        } catch (DecodeException | RuntimeException e) {
            video.close();
            throw e;
        }
    }

    private void checkVideo(DecodeOptions options) throws DecodeException {
        int w = width();
        int h = height();
        if (w <= 0 || h <= 0) {
            throw new DecodeException(
                    DeadLetterReason.NOT_VIDEO,
                    "No video frame size (format " + input.format() + ", " + w + "x" + h + ").");
        }
        options.checkFrameSize(w, h);
    }

    private void readPackets(LimitCheck limits) throws DecodeException {
        AVPacket pkt = avcodec.av_packet_alloc();
        try {
            while (input.readPacket(pkt)) {
                if (pkt.stream_index() == stream) {
                    // A new reference to the demuxer's buffer, no copy.
                    packets.add(avcodec.av_packet_clone(pkt));
                    limits.check(packets.size());
                }
                avcodec.av_packet_unref(pkt);
            }
        } finally {
            avcodec.av_packet_free(pkt);
        }
    }

    /** The frame width the container (or stream information) states: not trusted for limits. */
    int width() {
        return codecParameters().width();
    }

    int height() {
        return codecParameters().height();
    }

    /** Video packets in decode order, one frame each in a well-formed stream. */
    int packetCount() {
        return packets.size();
    }

    AVPacket packet(int i) {
        return packets.get(i);
    }

    AVCodecParameters codecParameters() {
        return input.context().streams(stream).codecpar();
    }

    @Override
    public void close() {
        for (AVPacket p : packets) {
            avcodec.av_packet_free(p);
        }
        packets.clear();
        input.close();
    }
}
