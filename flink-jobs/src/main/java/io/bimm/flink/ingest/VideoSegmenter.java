package io.bimm.flink.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.MediaInput;
import io.bimm.schemas.DeadLetterReason;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Splits a video file into segments of about {@code segmentSeconds}, cutting only at video
 * keyframes and copying the compressed packets as they are (no re-encode).
 *
 * <p>A file no longer than one segment is passed through byte for byte in its own container. Longer
 * files are remuxed into Matroska segments, the container that takes every codec FFmpeg can
 * stream-copy and can be written without seeking back. Each segment is a complete file that FFmpeg
 * decodes on its own.
 */
public final class VideoSegmenter {

    /** One segment: a playable container file and what is known of it. */
    public record Segment(
            int index,
            byte[] data,
            String container,
            String codec,
            long startMicros,
            long durationMicros,
            int frameCount) {}

    /** What FFmpeg says of the whole file. */
    public record Probe(
            String container,
            String codec,
            double frameRate,
            int width,
            int height,
            long durationMicros,
            int frameCount) {}

    /** Receives segments as they are cut. */
    @FunctionalInterface
    public interface SegmentSink {
        void accept(Probe probe, Segment segment) throws IngestException;
    }

    static {
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
    }

    private final double segmentSeconds;

    public VideoSegmenter(double segmentSeconds) {
        if (!(segmentSeconds > 0)) {
            throw new IllegalArgumentException("Segment length must be positive.");
        }
        this.segmentSeconds = segmentSeconds;
    }

    /**
     * Probes the video and hands its segments to {@code sink}, in order. Only {@code fileBytes} are
     * read, through {@link MediaInput}: an allowed video container, never a path or URL, so a
     * playlist or concat list cannot make FFmpeg read another file.
     *
     * @param file the file the bytes were read from; not opened again
     * @throws IngestException if the bytes are not a video FFmpeg can read
     */
    public Probe segment(Path file, byte[] fileBytes, SegmentSink sink) throws IngestException {
        try (MediaInput input =
                MediaInput.open(
                        fileBytes,
                        MediaInput.NO_DEADLINE,
                        Integer.MAX_VALUE,
                        MediaInput.ANY_SIZE)) {
            Probe probe = probe(input);
            if (probe.durationMicros() > 0 && probe.durationMicros() <= segmentSeconds * 1.5e6) {
                sink.accept(
                        probe,
                        new Segment(
                                0,
                                fileBytes,
                                probe.container(),
                                probe.codec(),
                                0,
                                probe.durationMicros(),
                                probe.frameCount()));
                return probe;
            }
            remux(input, probe, sink);
            return probe;
        } catch (DecodeException e) {
            String message = e.getMessage();
            if (message.contains("still image")) {
                message += "; use --images";
            }
            throw new IngestException(e.reason(), message, e);
        }
    }

    private static Probe probe(MediaInput input) throws IngestException {
        AVFormatContext ic = input.context();
        AVStream stream = ic.streams(input.videoStream());
        AVCodecParameters par = stream.codecpar();
        if (par.width() <= 0 || par.height() <= 0) {
            throw new IngestException(
                    DeadLetterReason.NOT_VIDEO,
                    "it has no video stream with a frame size (" + input.format() + ")");
        }
        String codec = avcodec.avcodec_get_name(par.codec_id()).getString();
        // As FFmpegFrameGrabber: the average frame rate, else the real base frame rate.
        AVRational r = stream.avg_frame_rate();
        if (r.num() == 0 && r.den() == 0) {
            r = stream.r_frame_rate();
        }
        double fps = (double) r.num() / r.den();
        fps = Double.isFinite(fps) && fps > 0 ? fps : 0;
        long micros = Math.max(0, ic.duration() * 1_000_000L / avutil.AV_TIME_BASE);
        return new Probe(
                input.format(),
                codec,
                fps,
                par.width(),
                par.height(),
                micros,
                (int) Math.round(micros * fps / 1e6));
    }

    private void remux(MediaInput input, Probe probe, SegmentSink sink)
            throws IngestException, DecodeException {
        AVFormatContext ic = input.context();
        int vs = input.videoStream();
        double timeBase = avutil.av_q2d(ic.streams(vs).time_base());
        long segmentTicks = Math.max(1, Math.round(segmentSeconds / timeBase));
        // Container-specific codec tags (e.g. mp4's 'avc1') are not valid in Matroska: let the
        // muxer choose, as FFmpeg's own remux example does.
        for (int i = 0; i < ic.nb_streams(); i++) {
            ic.streams(i).codecpar().codec_tag(0);
        }

        SegmentWriter writer = null;
        int index = 0;
        AVPacket pkt = avcodec.av_packet_alloc();
        try {
            while (input.readPacket(pkt)) {
                try {
                    boolean video = pkt.stream_index() == vs;
                    if (!video || (pkt.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
                        continue; // e.g. the cut-off last packet of a truncated file
                    }
                    long ts = pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
                    boolean key = (pkt.flags() & AV_PKT_FLAG_KEY) != 0;
                    if (writer == null) {
                        if (!key) {
                            continue; // nothing decodes before the first keyframe
                        }
                        writer = new SegmentWriter(ic, probe, index++, ts);
                    } else if (key && ts != AV_NOPTS_VALUE && ts - writer.startTs >= segmentTicks) {
                        sink.accept(probe, writer.finish(ts, timeBase));
                        writer = new SegmentWriter(ic, probe, index++, ts);
                    }
                    writer.add(pkt, ts);
                } finally {
                    avcodec.av_packet_unref(pkt);
                }
            }
            if (writer != null) {
                sink.accept(probe, writer.finish(AV_NOPTS_VALUE, timeBase));
                writer = null;
            }
        } catch (FrameRecorder.Exception e) {
            throw new IngestException(
                    DeadLetterReason.DECODE_ERROR,
                    "FFmpeg cannot copy its packets into segment "
                            + (index - 1)
                            + ": "
                            + e.getMessage(),
                    e);
        } finally {
            avcodec.av_packet_free(pkt);
            if (writer != null) {
                writer.abort();
            }
        }
        if (index == 0) {
            throw new IngestException(
                    DeadLetterReason.DECODE_ERROR, "it has no video keyframe to start from");
        }
    }

    /**
     * One Matroska segment: its video packets are kept (as references, no copy) until it is
     * complete, so that missing decode timestamps can be derived from the presentation ones. Also
     * used by live sources ({@code ingest.live}), which cut the same way from a network stream.
     */
    public static final class SegmentWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        private final List<AVPacket> packets = new ArrayList<>();
        private final AVFormatContext input;
        private final Probe probe;
        private final int index;
        private final long startTs;
        private long lastTs;
        private FFmpegFrameRecorder recorder;

        public SegmentWriter(AVFormatContext input, Probe probe, int index, long startTs) {
            this.input = input;
            this.probe = probe;
            this.index = index;
            this.startTs = startTs;
            this.lastTs = startTs;
        }

        public void add(AVPacket pkt, long ts) {
            if (ts != AV_NOPTS_VALUE && ts > lastTs) {
                lastTs = ts;
            }
            packets.add(avcodec.av_packet_clone(pkt));
        }

        public Segment finish(long nextStartTs, double timeBase) throws FrameRecorder.Exception {
            SegmentTimestamps.fill(packets);
            recorder = new FFmpegFrameRecorder(out, probe.width(), probe.height(), 0);
            recorder.setFormat("matroska");
            recorder.start(input);
            int frames = packets.size();
            for (AVPacket p : packets) {
                recorder.recordPacket(p);
            }
            freePackets();
            recorder.stop();
            recorder.release();
            recorder = null;
            long endTs = nextStartTs != AV_NOPTS_VALUE ? nextStartTs : lastTs + 1;
            long startMicros = Math.round(startTs * timeBase * 1e6);
            long durationMicros = Math.round((endTs - startTs) * timeBase * 1e6);
            if (nextStartTs == AV_NOPTS_VALUE && probe.frameRate() > 0) {
                durationMicros =
                        Math.round((lastTs - startTs) * timeBase * 1e6 + 1e6 / probe.frameRate());
            }
            return new Segment(
                    index,
                    out.toByteArray(),
                    "matroska",
                    probe.codec(),
                    Math.max(0, startMicros),
                    Math.max(0, durationMicros),
                    frames);
        }

        private void freePackets() {
            for (AVPacket p : packets) {
                avcodec.av_packet_free(p);
            }
            packets.clear();
        }

        public void abort() {
            freePackets();
            if (recorder != null) {
                try {
                    recorder.release();
                } catch (FrameRecorder.Exception ignored) {
                    // already failing; the original error is reported
                }
            }
        }
    }
}
