package io.bimm.flink.decode;

import org.bytedeco.ffmpeg.avcodec.AVPacket;

/**
 * Which packets of an MPEG-4 Part 2 stream decode to a B-frame that can be left undecoded ({@code
 * skip_frame = noref}) without losing anything else, read from the VOP headers (start code {@code
 * 00 00 01 B6}, then two bits of {@code vop_coding_type}).
 *
 * <p>DivX/XviD "packed B-frames" (AVI, and Matroska remuxed from it) store a B-VOP behind the P-VOP
 * of the same packet. FFmpeg's decoder keeps the VOP behind the decoded one for the next packet
 * ({@code ff_mpeg4_frame_end}: the next VOP start code in the packet if it is an I- or B-VOP, over
 * 7 bytes), and a packet that follows decodes that kept VOP instead. A skipped frame returns before
 * that point, so the VOP it would have kept is lost: such packets are not skipped. (A packet that
 * starts a new visual object sequence, start code {@code B0}, drops the kept VOP.)
 */
final class Mpeg4BFrames {
    private static final int TYPE_I = 0;
    private static final int TYPE_B = 2;
    private static final int NONE = -1;

    /** FFmpeg's {@code MAX_NVOP_SIZE}: a not-coded VOP (N-VOP) is at most this long. */
    private static final int MAX_NVOP_SIZE = 19;

    private Mpeg4BFrames() {}

    /** The packet cannot be skipped. */
    static final byte NO = 0;

    /** Decoding the packet gives a B-frame whose skipping loses nothing. */
    static final byte ALONE = 1;

    /**
     * Decoding the packet gives a B-frame, and skipping it loses the B-frame kept for the next
     * packet, an N-VOP that then gives no frame: both can be skipped, or neither.
     */
    static final byte WITH_NEXT = 2;

    /** Per packet in decode order: {@link #NO}, {@link #ALONE} or {@link #WITH_NEXT}. */
    static byte[] skippable(DemuxedVideo video) {
        int n = video.packetCount();
        byte[] out = new byte[n];
        int[] sizes = new int[n];
        for (int p = 0; p < n; p++) {
            sizes[p] = video.packet(p).size();
        }
        int kept = NONE; // type of the VOP the decoder keeps for the next packet
        for (int p = 0; p < n; p++) {
            AVPacket pkt = video.packet(p);
            byte[] b = new byte[pkt.size()];
            pkt.data().get(b);
            int first = vopType(b, 0);
            if (kept != NONE && firstStartCode(b) == 0xB0) {
                kept = NONE; // a new visual object sequence: FFmpeg discards the kept VOP
            }
            boolean decodedIsB;
            int keeps;
            if (kept != NONE) {
                // The kept VOP decodes; the whole packet is searched for one to keep.
                decodedIsB = kept == TYPE_B;
                keeps = b.length > 7 ? keepable(first) : NONE;
            } else {
                decodedIsB = first == TYPE_B && b.length > MAX_NVOP_SIZE;
                int at = nextVop(b, 0);
                int second = at < 0 ? NONE : vopType(b, at + 4);
                keeps = keepable(second);
            }
            if (decodedIsB && keeps == NONE) {
                out[p] = ALONE;
            } else if (decodedIsB && keeps == TYPE_B && p + 1 < n && sizes[p + 1] <= 7) {
                out[p] = WITH_NEXT;
            }
            kept = keeps;
        }
        return out;
    }

    private static int keepable(int type) {
        return type == TYPE_I || type == TYPE_B ? type : NONE;
    }

    /** Type of the first VOP at or after {@code from}, or NONE. */
    private static int vopType(byte[] b, int from) {
        if (from < 0) {
            return NONE;
        }
        int at = nextVop(b, from);
        return at < 0 || at + 4 >= b.length ? NONE : (b[at + 4] >> 6) & 3;
    }

    private static int firstStartCode(byte[] b) {
        for (int i = 0; i + 3 < b.length; i++) {
            if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) {
                return b[i + 3] & 0xFF;
            }
        }
        return NONE;
    }

    private static int nextVop(byte[] b, int from) {
        for (int i = Math.max(from, 0); i + 3 < b.length; i++) {
            if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 && b[i + 3] == (byte) 0xB6) {
                return i;
            }
        }
        return -1;
    }
}
