package io.bimm.flink.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import io.bimm.schemas.DeadLetterReason;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FrameGrabber;
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
     * Probes {@code file} and hands its segments to {@code sink}, in order.
     *
     * @throws IngestException if the file is not a video FFmpeg can read
     */
    public Probe segment(Path file, byte[] fileBytes, SegmentSink sink) throws IngestException {
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
            Probe probe = open(grabber, file);
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
            remux(grabber, probe, file, sink);
            return probe;
        } catch (FrameGrabber.Exception e) {
            throw new IngestException(
                    DeadLetterReason.UNREADABLE,
                    "FFmpeg failed while reading it: " + e.getMessage(),
                    e);
        }
    }

    private static Probe open(FFmpegFrameGrabber grabber, Path file) throws IngestException {
        try {
            grabber.start();
        } catch (FrameGrabber.Exception e) {
            throw new IngestException(
                    DeadLetterReason.NOT_VIDEO, "FFmpeg cannot open it as a video", e);
        }
        AVFormatContext ic = grabber.getFormatContext();
        String container = firstName(ic.iformat().name().getString());
        int vs = grabber.getVideoStream();
        if (vs < 0 || grabber.getImageWidth() <= 0 || grabber.getImageHeight() <= 0) {
            throw new IngestException(
                    DeadLetterReason.NOT_VIDEO, "it has no video stream (" + container + ")");
        }
        if (container.endsWith("_pipe") || container.equals("image2")) {
            throw new IngestException(
                    DeadLetterReason.NOT_VIDEO,
                    "it is a still image (" + container + "), not a video; use --images");
        }
        AVStream stream = ic.streams(vs);
        String codec = avcodec.avcodec_get_name(stream.codecpar().codec_id()).getString();
        double fps = grabber.getFrameRate();
        return new Probe(
                container,
                codec,
                Double.isFinite(fps) ? fps : 0,
                grabber.getImageWidth(),
                grabber.getImageHeight(),
                Math.max(0, grabber.getLengthInTime()),
                Math.max(0, grabber.getLengthInVideoFrames()));
    }

    private void remux(FFmpegFrameGrabber grabber, Probe probe, Path file, SegmentSink sink)
            throws IngestException, FrameGrabber.Exception {
        AVFormatContext ic = grabber.getFormatContext();
        int vs = grabber.getVideoStream();
        double timeBase = avutil.av_q2d(ic.streams(vs).time_base());
        long segmentTicks = Math.max(1, Math.round(segmentSeconds / timeBase));
        // Container-specific codec tags (e.g. mp4's 'avc1') are not valid in Matroska: let the
        // muxer choose, as FFmpeg's own remux example does.
        for (int i = 0; i < ic.nb_streams(); i++) {
            ic.streams(i).codecpar().codec_tag(0);
        }

        SegmentWriter writer = null;
        int index = 0;
        AVPacket pkt;
        try {
            while ((pkt = grabber.grabPacket()) != null) {
                boolean video = pkt.stream_index() == vs;
                if ((pkt.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
                    continue; // e.g. the cut-off last packet of a truncated file
                }
                long ts = pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
                boolean key = video && (pkt.flags() & AV_PKT_FLAG_KEY) != 0;
                if (writer == null) {
                    if (!key) {
                        continue; // nothing decodes before the first keyframe
                    }
                    writer = new SegmentWriter(grabber, probe, index++, ts);
                } else if (key && ts != AV_NOPTS_VALUE && ts - writer.startTs >= segmentTicks) {
                    sink.accept(probe, writer.finish(ts, timeBase));
                    writer = new SegmentWriter(grabber, probe, index++, ts);
                }
                if (video) {
                    writer.write(pkt, ts);
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
            if (writer != null) {
                writer.abort();
            }
        }
        if (index == 0) {
            throw new IngestException(
                    DeadLetterReason.DECODE_ERROR, "it has no video keyframe to start from");
        }
    }

    private static String firstName(String names) {
        int comma = names.indexOf(',');
        return (comma < 0 ? names : names.substring(0, comma)).toLowerCase(Locale.ROOT);
    }

    /** One Matroska segment being written to memory. */
    private static final class SegmentWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        private final FFmpegFrameRecorder recorder;
        private final Probe probe;
        private final int index;
        private final long startTs;
        private long lastTs;
        private long lastDts;
        private int frames;

        SegmentWriter(FFmpegFrameGrabber grabber, Probe probe, int index, long startTs)
                throws FrameRecorder.Exception {
            this.probe = probe;
            this.index = index;
            this.startTs = startTs;
            this.lastTs = startTs;
            this.lastDts = startTs - 1;
            recorder =
                    new FFmpegFrameRecorder(
                            out, grabber.getImageWidth(), grabber.getImageHeight(), 0);
            recorder.setFormat("matroska");
            recorder.start(grabber.getFormatContext());
        }

        void write(AVPacket pkt, long ts) throws FrameRecorder.Exception {
            frames++;
            if (ts != AV_NOPTS_VALUE && ts > lastTs) {
                lastTs = ts;
            }
            // AVI and raw streams often carry only a dts; Matroska needs a timestamp on every
            // packet.
            if (pkt.dts() == AV_NOPTS_VALUE) {
                pkt.dts(pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : lastDts + 1);
            }
            if (pkt.pts() == AV_NOPTS_VALUE) {
                pkt.pts(pkt.dts());
            }
            lastDts = pkt.dts();
            recorder.recordPacket(pkt);
        }

        Segment finish(long nextStartTs, double timeBase) throws FrameRecorder.Exception {
            recorder.stop();
            recorder.release();
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

        void abort() {
            try {
                recorder.release();
            } catch (FrameRecorder.Exception ignored) {
                // already failing; the original error is reported
            }
        }
    }
}
