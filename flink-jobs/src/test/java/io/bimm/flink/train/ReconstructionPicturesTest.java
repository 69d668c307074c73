package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.bimm.model.Bimm;
import io.bimm.model.Target;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The pictures map predictions back through the same normalization the loss uses. */
class ReconstructionPicturesTest {

    @Test
    void theTargetAsTheLossSeesItMapsBackToItsOwnValues() {
        Random r = new Random(2);
        for (Target t :
                new Target[] {Target.DORSAL_MOTION, Target.VENTRAL_RGB, Target.DORSAL_CONTOUR}) {
            // a busy token and a nearly flat one (a few grey levels of noise)
            byte[] tokens = new byte[2 * t.dim()];
            for (int i = 0; i < t.dim(); i++) {
                tokens[i] = (byte) r.nextInt(t == Target.DORSAL_CONTOUR ? 2 : 256);
                tokens[t.dim() + i] = (byte) (r.nextInt(40) == 0 ? 1 : 0);
            }
            float[] perfect;
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                // the loss of predicting this is zero, so it is the normalized target
                var target =
                        m.create(tokens, new Shape(1, 2, t.dim())).toType(DataType.UINT8, false);
                var normalized =
                        Bimm.normalizePerToken(
                                target.toType(DataType.FLOAT32, false).div(t.divisor()));
                perfect = normalized.toFloatArray();
                assertThat(Bimm.forwardLoss(normalized, target, t).getFloat()).isLessThan(1e-10f);
            }
            for (int k = 0; k < 2; k++) {
                float[] back =
                        ReconstructionPictures.denormalize(
                                t, tokens, k * t.dim(), perfect, k * t.dim());
                for (int i = 0; i < t.dim(); i++) {
                    assertThat((double) back[i])
                            .as(t.key() + " token " + k)
                            .isCloseTo(tokens[k * t.dim() + i] & 0xFF, within(1e-3));
                }
            }
        }
    }
}
