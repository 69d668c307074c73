package io.bimm.flink.ingest;

import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import java.util.Arrays;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVPacket;

/**
 * Gives a segment's video packets (in decode order) the timestamps a muxer needs: a pts on every
 * packet and decode timestamps that never go backwards and never pass the pts.
 *
 * <p>Matroska stores presentation times only, so its demuxer leaves the dts of a stream with
 * B-frames unset; AVI and raw streams often carry a dts only. A missing pts is the dts (or one past
 * the previous pts). When any dts is missing or out of order, all of them are derived from the
 * presentation times as FFmpeg's muxers do: the sorted pts, shifted back just enough that each
 * packet's dts is at most its pts.
 */
final class SegmentTimestamps {
    private SegmentTimestamps() {}

    static void fill(List<AVPacket> packets) {
        int n = packets.size();
        long[] pts = new long[n];
        long previous = -1;
        boolean dtsUsable = true;
        long lastDts = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            AVPacket p = packets.get(i);
            long t = p.pts();
            if (t == AV_NOPTS_VALUE) {
                t = p.dts() != AV_NOPTS_VALUE ? p.dts() : previous + 1;
                p.pts(t);
            }
            pts[i] = t;
            previous = t;
            long d = p.dts();
            if (d == AV_NOPTS_VALUE || d < lastDts || d > t) {
                dtsUsable = false;
            } else {
                lastDts = d;
            }
        }
        if (dtsUsable) {
            return;
        }
        long[] sorted = pts.clone();
        Arrays.sort(sorted);
        long shift = 0;
        for (int i = 0; i < n; i++) {
            shift = Math.max(shift, sorted[i] - pts[i]);
        }
        for (int i = 0; i < n; i++) {
            packets.get(i).dts(sorted[i] - shift);
        }
    }
}
