package io.bimm.flink.decode;

import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParserContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The display order of an H.264 stream's packets, predicted from their picture order counts
 * (FFmpeg's h264 parser reads them from the slice headers, nothing is decoded): a decoder outputs
 * the pictures between two IDR pictures by increasing POC.
 */
final class H264Order {
    private H264Order() {}

    /**
     * Display index of each packet in decode order, or null when a packet has no picture order
     * count (the first one may lack it: a segment starts with its key frame, shown first).
     */
    static int[] displayIndices(DemuxedVideo video) {
        int n = video.packetCount();
        long[] key = new long[n]; // (IDR group, POC) packed for sorting
        AVCodecContext ctx = avcodec.avcodec_alloc_context3(null);
        AVCodecParserContext parser = avcodec.av_parser_init(avcodec.AV_CODEC_ID_H264);
        if (parser == null) {
            avcodec.avcodec_free_context(ctx);
            return null;
        }
        try (PointerPointer<BytePointer> out = new PointerPointer<>(1);
                IntPointer outSize = new IntPointer(1)) {
            avcodec.avcodec_parameters_to_context(ctx, video.codecParameters());
            parser.flags(parser.flags() | AVCodecParserContext.PARSER_FLAG_COMPLETE_FRAMES);
            long group = 0;
            for (int p = 0; p < n; p++) {
                AVPacket pkt = video.packet(p);
                parser.output_picture_number(Integer.MIN_VALUE);
                avcodec.av_parser_parse2(
                        parser, ctx, out, outSize, pkt.data(), pkt.size(), p, p, -1);
                int poc = parser.output_picture_number();
                if (poc == Integer.MIN_VALUE || poc < 0) {
                    if (p > 0) {
                        return null;
                    }
                    poc = -1;
                }
                if (p > 0 && parser.key_frame() == 1 && poc == 0) {
                    group++; // an IDR picture: POCs start again
                }
                key[p] = (group << 32) | ((poc + 1L) & 0xFFFFFFFFL);
            }
        } finally {
            avcodec.av_parser_close(parser);
            avcodec.avcodec_free_context(ctx);
        }
        Integer[] order = new Integer[n];
        for (int p = 0; p < n; p++) {
            order[p] = p;
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compare(key[a], key[b]));
        int[] disp = new int[n];
        for (int d = 0; d < n; d++) {
            if (d > 0 && key[order[d]] == key[order[d - 1]]) {
                return null; // two pictures with one POC: fields or a broken stream
            }
            disp[order[d]] = d;
        }
        return disp;
    }

    /**
     * Reorder depth the order needs: the most pictures decoded before one and shown after it. A
     * decoder that delays output by fewer pictures shows or drops some out of order.
     */
    static int reorderDepth(int[] disp) {
        int n = disp.length;
        int[] tree = new int[n + 1]; // Fenwick tree over display indices seen so far
        int depth = 0;
        for (int i = 0; i < n; i++) {
            int shownBefore = 0;
            for (int d = disp[i]; d > 0; d -= d & -d) {
                shownBefore += tree[d];
            }
            depth = Math.max(depth, i - shownBefore);
            for (int d = disp[i] + 1; d <= n; d += d & -d) {
                tree[d]++;
            }
        }
        return depth;
    }
}
