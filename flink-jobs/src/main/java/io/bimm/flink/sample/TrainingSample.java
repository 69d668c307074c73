package io.bimm.flink.sample;

import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One training sample, the record between preprocessing and the training sink (SPEC sections 1-3).
 *
 * <p>Letters: {@code g = S/16} tokens per side, token index {@code (t, h, w)} row-major; {@code
 * Kv/Mv} visible/masked image tokens, {@code Kd/Md} visible/masked video tokens. Only visible
 * tokens' pixels and masked tokens' targets travel; integers as uint8 (normalized on the training
 * device). Shapes, all flat, row-major:
 *
 * <ul>
 *   <li>{@code ventralVisibleIdx} int[Kv], {@code ventralMaskedIdx} int[Mv], ascending
 *   <li>{@code ventralPixels} uint8 (Kv, 16, 16, 3) RGB channel-last per patch
 *   <li>{@code ventralGabor} float32 (Mv, 2, 2, 8) (cellY, cellX, filter)
 *   <li>{@code ventralContour} uint8 (Mv, 16, 16) 0/1
 *   <li>{@code ventralRgb} uint8 (Mv, 16, 16, 3)
 *   <li>{@code dorsalVisibleIdx} int[Kd], {@code dorsalMaskedIdx} int[Md] (tube), ascending
 *   <li>{@code dorsalPixels} uint8 (Kd, 2, 16, 16, 3) tubelet frame-major
 *   <li>{@code dorsalGabor} float32 (Md, 2, 2, 2, 8) (frame, cellY, cellX, filter)
 *   <li>{@code dorsalContour} uint8 (Md, 2, 16, 16)
 *   <li>{@code dorsalMotion} uint8 (Md, 2, 16, 16, 3)
 * </ul>
 *
 * <p>Serialized bytes per sample (by {@link TrainingSampleSerializer}, with a clip id of 64 ASCII
 * characters; masks 0.75 ventral, 0.9 dorsal), checked by {@code TrainingSampleSerializerTest}:
 *
 * <table>
 *   <caption>Bytes per sample</caption>
 *   <tr><th>preset</th><th>S</th><th>T</th><th>Kv/Mv</th><th>Kd/Md</th><th>bytes</th></tr>
 *   <tr><td>tiny</td><td>112</td><td>8</td><td>13/36</td><td>20/176</td><td>488,778 (payload 488,660)</td></tr>
 *   <tr><td>small, base, large</td><td>224</td><td>16</td><td>49/147</td><td>160/1408</td>
 *       <td>3,703,942 (payload 3,703,824)</td></tr>
 * </table>
 */
@TypeInfo(TrainingSampleTypeInfoFactory.class)
public final class TrainingSample {
    public final String clipId;
    public final int draw;
    public final int[] ventralVisibleIdx;
    public final int[] ventralMaskedIdx;
    public final byte[] ventralPixels;
    public final float[] ventralGabor;
    public final byte[] ventralContour;
    public final byte[] ventralRgb;
    public final int[] dorsalVisibleIdx;
    public final int[] dorsalMaskedIdx;
    public final byte[] dorsalPixels;
    public final float[] dorsalGabor;
    public final byte[] dorsalContour;
    public final byte[] dorsalMotion;

    public TrainingSample(
            String clipId,
            int draw,
            int[] ventralVisibleIdx,
            int[] ventralMaskedIdx,
            byte[] ventralPixels,
            float[] ventralGabor,
            byte[] ventralContour,
            byte[] ventralRgb,
            int[] dorsalVisibleIdx,
            int[] dorsalMaskedIdx,
            byte[] dorsalPixels,
            float[] dorsalGabor,
            byte[] dorsalContour,
            byte[] dorsalMotion) {
        this.clipId = Objects.requireNonNull(clipId, "clipId");
        this.draw = draw;
        this.ventralVisibleIdx = ventralVisibleIdx;
        this.ventralMaskedIdx = ventralMaskedIdx;
        this.ventralPixels = ventralPixels;
        this.ventralGabor = ventralGabor;
        this.ventralContour = ventralContour;
        this.ventralRgb = ventralRgb;
        this.dorsalVisibleIdx = dorsalVisibleIdx;
        this.dorsalMaskedIdx = dorsalMaskedIdx;
        this.dorsalPixels = dorsalPixels;
        this.dorsalGabor = dorsalGabor;
        this.dorsalContour = dorsalContour;
        this.dorsalMotion = dorsalMotion;
    }

    /** Bytes of the array payloads (without lengths and clip id). */
    public long payloadBytes() {
        return 4L * (ventralVisibleIdx.length + ventralMaskedIdx.length)
                + ventralPixels.length
                + 4L * ventralGabor.length
                + ventralContour.length
                + ventralRgb.length
                + 4L * (dorsalVisibleIdx.length + dorsalMaskedIdx.length)
                + dorsalPixels.length
                + 4L * dorsalGabor.length
                + dorsalContour.length
                + dorsalMotion.length;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TrainingSample s)) {
            return false;
        }
        return draw == s.draw
                && clipId.equals(s.clipId)
                && Arrays.equals(ventralVisibleIdx, s.ventralVisibleIdx)
                && Arrays.equals(ventralMaskedIdx, s.ventralMaskedIdx)
                && Arrays.equals(ventralPixels, s.ventralPixels)
                && Arrays.equals(ventralGabor, s.ventralGabor)
                && Arrays.equals(ventralContour, s.ventralContour)
                && Arrays.equals(ventralRgb, s.ventralRgb)
                && Arrays.equals(dorsalVisibleIdx, s.dorsalVisibleIdx)
                && Arrays.equals(dorsalMaskedIdx, s.dorsalMaskedIdx)
                && Arrays.equals(dorsalPixels, s.dorsalPixels)
                && Arrays.equals(dorsalGabor, s.dorsalGabor)
                && Arrays.equals(dorsalContour, s.dorsalContour)
                && Arrays.equals(dorsalMotion, s.dorsalMotion);
    }

    @Override
    public int hashCode() {
        return Objects.hash(clipId, draw, Arrays.hashCode(ventralMaskedIdx));
    }

    @Override
    public String toString() {
        return "TrainingSample{clipId="
                + clipId
                + ", draw="
                + draw
                + ", Kv="
                + ventralVisibleIdx.length
                + ", Mv="
                + ventralMaskedIdx.length
                + ", Kd="
                + dorsalVisibleIdx.length
                + ", Md="
                + dorsalMaskedIdx.length
                + "}";
    }
}
