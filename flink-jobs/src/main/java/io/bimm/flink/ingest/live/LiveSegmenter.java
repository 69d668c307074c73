package io.bimm.flink.ingest.live;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import io.bimm.flink.ingest.VideoSegmenter;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Cuts one connection's video packets into segments of about {@code segmentSeconds}, at keyframes,
 * by stream copy into Matroska, exactly as {@link VideoSegmenter} cuts a file (its {@link
 * VideoSegmenter.SegmentWriter}); each segment goes to the sink as soon as the next keyframe
 * completes it. When the connection ends for any reason, the segment under way is completed with
 * what it has (a short last segment), so a drop, a stall or Ctrl-C loses nothing that was read.
 */
final class LiveSegmenter {

    /** A segment cut from a live source, with its time on the source's timeline. */
    record Cut(VideoSegmenter.Probe probe, VideoSegmenter.Segment segment, long startMicros) {}

    /** Receives segments as they are cut. */
    @FunctionalInterface
    interface Sink {
        void accept(Cut cut);
    }

    private final double segmentSeconds;
    private final LiveClock clock;
    private final Sink sink;
    private int nextIndex;
    private long lastTime;

    LiveSegmenter(double segmentSeconds, LiveClock clock, Sink sink) {
        this.segmentSeconds = segmentSeconds;
        this.clock = clock;
        this.sink = sink;
    }

    /** What FFmpeg says of the connection's video stream, as a file's probe. */
    static VideoSegmenter.Probe probe(LiveInput input) {
        AVFormatContext ic = input.context();
        AVStream stream = ic.streams(input.videoStream());
        AVCodecParameters par = stream.codecpar();
        String codec = avcodec.avcodec_get_name(par.codec_id()).getString();
        AVRational r = stream.avg_frame_rate();
        if (r.num() == 0 || r.den() == 0) {
            r = stream.r_frame_rate();
        }
        double fps = r.den() == 0 ? 0 : (double) r.num() / r.den();
        fps = Double.isFinite(fps) && fps > 0 && fps < 1000 ? fps : 0;
        return new VideoSegmenter.Probe(
                input.format(), codec, fps, par.width(), par.height(), 0, 0);
    }

    /**
     * Reads and cuts until the connection ends.
     *
     * @return why it ended
     * @throws FrameRecorder.Exception when FFmpeg cannot copy the packets into a segment
     */
    LiveInput.End run(LiveInput input, VideoSegmenter.Probe probe) throws FrameRecorder.Exception {
        AVFormatContext ic = input.context();
        int vs = input.videoStream();
        AVRational tbq = ic.streams(vs).time_base();
        double timeBase = avutil.av_q2d(tbq);
        long segmentTicks = Math.max(1, Math.round(segmentSeconds / timeBase));
        // Container-specific codec tags are not valid in Matroska (as VideoSegmenter).
        for (int i = 0; i < ic.nb_streams(); i++) {
            ic.streams(i).codecpar().codec_tag(0);
        }
        clock.connected();
        VideoSegmenter.SegmentWriter writer = null;
        long writerStartTs = 0;
        long writerStartTime = 0;
        lastTime = Long.MIN_VALUE;
        AVPacket pkt = avcodec.av_packet_alloc();
        LiveInput.End end;
        try {
            while ((end = input.read(pkt)) == null) {
                try {
                    if (pkt.stream_index() != vs || (pkt.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
                        continue;
                    }
                    long ts = pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
                    if (ts == AV_NOPTS_VALUE) {
                        if (writer != null) {
                            writer.add(pkt, ts);
                        }
                        continue;
                    }
                    boolean key = (pkt.flags() & AV_PKT_FLAG_KEY) != 0;
                    long time = clock.map(Math.round(ts * timeBase * 1e6));
                    if (clock.jumped() && writer != null) {
                        VideoSegmenter.SegmentWriter done = writer;
                        writer = null;
                        emit(done, probe, AV_NOPTS_VALUE, timeBase, writerStartTime);
                    }
                    if (writer == null) {
                        if (!key || clock.alreadySent(time)) {
                            continue; // nothing decodes before a keyframe; no stretch twice
                        }
                        writer = new VideoSegmenter.SegmentWriter(ic, probe, nextIndex++, ts);
                        writerStartTs = ts;
                        writerStartTime = time;
                    } else if (key && ts - writerStartTs >= segmentTicks) {
                        VideoSegmenter.SegmentWriter done = writer;
                        writer = null;
                        emit(done, probe, ts, timeBase, writerStartTime);
                        writer = new VideoSegmenter.SegmentWriter(ic, probe, nextIndex++, ts);
                        writerStartTs = ts;
                        writerStartTime = time;
                    }
                    writer.add(pkt, ts);
                    lastTime = Math.max(lastTime, time);
                } finally {
                    avcodec.av_packet_unref(pkt);
                }
            }
            if (writer != null) {
                VideoSegmenter.SegmentWriter last = writer;
                writer = null;
                emit(last, probe, AV_NOPTS_VALUE, timeBase, writerStartTime);
            }
            return end;
        } finally {
            avcodec.av_packet_free(pkt);
            if (writer != null) {
                writer.abort();
            }
        }
    }

    private void emit(
            VideoSegmenter.SegmentWriter writer,
            VideoSegmenter.Probe probe,
            long nextTs,
            double timeBase,
            long startTime)
            throws FrameRecorder.Exception {
        VideoSegmenter.Segment segment;
        try {
            segment = writer.finish(nextTs, timeBase);
        } catch (FrameRecorder.Exception | RuntimeException e) {
            writer.abort();
            throw e;
        }
        // Its last packet's time: a later connection starts after it, never on it.
        clock.sent(lastTime + 1);
        sink.accept(new Cut(probe, segment, startTime));
    }
}
