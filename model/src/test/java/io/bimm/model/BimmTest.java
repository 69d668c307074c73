package io.bimm.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BimmTest {

    /** Parameters of one pre-norm block of width d with MLP ratio 4 (SPEC 4), by hand. */
    private static long block(long d) {
        long ln = 2 * d;
        long attn = 3 * d * d + 2 * d + d * d + d; // qkv, q_bias + v_bias, proj
        long mlp = d * 4 * d + 4 * d + 4 * d * d + d;
        return 2 * ln + attn + mlp;
    }

    private static long expected(
            long d, int depth, long dd, int[] decDepths, int[] splits, WeightSharing sharing) {
        int shared =
                sharing == WeightSharing.NONE
                        ? 0
                        : sharing == WeightSharing.ALL ? depth : splits[1];
        long encoderOwn = (depth - shared) * block(d) + 3 * 2 * d;
        long ventral = d * 3 * 16 * 16 + d + encoderOwn;
        long dorsal = d * 3 * 2 * 16 * 16 + d + encoderOwn;
        long decoders = 0;
        int[][] dims = {{32, 256, 768}, {64, 512, 1536}};
        for (int[] branch : dims) {
            for (int level = 0; level < 3; level++) {
                long c = branch[level];
                decoders += d * dd + dd + decDepths[level] * block(dd) + 2 * dd + dd * c + c;
            }
        }
        return shared * block(d) + ventral + dorsal + decoders;
    }

    @ParameterizedTest
    @EnumSource(Preset.class)
    void parameterCountMatchesArchitectureArithmetic(Preset preset) {
        BimmConfig c = BimmConfig.builder(preset).build();
        long count = Bimm.parameterCount(c);
        System.out.println(preset + " parameters " + count);
        assertThat(count)
                .isEqualTo(
                        expected(
                                c.getEmbedDim(),
                                c.getDepth(),
                                c.getDecoderDim(),
                                new int[] {
                                    c.getDecoderDepth(0), c.getDecoderDepth(1), c.getDecoderDepth(2)
                                },
                                c.getSplits(),
                                WeightSharing.PARTIAL));
    }

    @ParameterizedTest
    @EnumSource(WeightSharing.class)
    void sharingModesCountSharedBlocksOnce(WeightSharing sharing) {
        BimmConfig c = BimmConfig.builder(Preset.TINY).optSharing(sharing).build();
        assertThat(Bimm.parameterCount(c))
                .isEqualTo(
                        expected(192, 12, 96, new int[] {1, 1, 2}, new int[] {2, 4, 12}, sharing));
    }

    @Test
    void initializedTinyModelHasTheCountedTensors() {
        BimmConfig c = TestConfigs.tinySmallInput().build();
        try (Bimm model = Bimm.newModel(c, Device.cpu())) {
            long n = 0;
            for (Parameter p : model.namedParameters().values()) {
                n += p.getArray().size();
            }
            assertThat(n).isEqualTo(Bimm.parameterCount(c));
            // partial sharing: both encoders hold the same first s2 block objects
            assertThat(model.getEncoder(Branch.DORSAL).getBlocks().subList(0, 4))
                    .containsExactlyElementsOf(
                            model.getEncoder(Branch.VENTRAL).getBlocks().subList(0, 4));
            assertThat(model.getEncoder(Branch.DORSAL).getBlocks().get(4))
                    .isNotSameAs(model.getEncoder(Branch.VENTRAL).getBlocks().get(4));
        }
    }

    @Test
    void perTokenNormalizationMatchesHandComputation() {
        float[] v = {0, 1, 1, 0, 1, 1, 1, 0};
        double mean = 5.0 / 8;
        double var = 0;
        for (float x : v) {
            var += (x - mean) * (x - mean);
        }
        var /= 7; // unbiased
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] got = Bimm.normalizePerToken(m.create(v, new Shape(1, 1, 8))).toFloatArray();
            for (int i = 0; i < v.length; i++) {
                assertThat((double) got[i])
                        .isCloseTo((v[i] - mean) / Math.sqrt(var + 1e-6), within(1e-5));
            }
        }
    }

    @Test
    void motionAndRgbAreNormalizedInTheSpecsScaleSoFlatNoiseStaysSmall() {
        // a still tubelet with 12 of its 1536 values one grey level up (compression noise)
        byte[] motion = new byte[1536];
        for (int i = 0; i < 1536; i += 128) {
            motion[i] = 1;
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray zeros = m.zeros(new Shape(1, 1, 1536));
            NDArray target = m.create(motion, new Shape(1, 1, 1536));
            for (Target t : new Target[] {Target.DORSAL_MOTION, Target.DORSAL_CONTOUR}) {
                double mean = 12.0 / 1536 / t.divisor();
                double var = 0;
                for (byte b : motion) {
                    var += Math.pow(b / t.divisor() - mean, 2);
                }
                var /= 1535;
                // the loss of predicting zero is the mean square of the normalized values
                double expected = var * 1535 / 1536 / (var + 1e-6);
                float loss = Bimm.forwardLoss(zeros, target, t).getFloat();
                assertThat((double) loss).as(t.key()).isCloseTo(expected, within(1e-4));
            }
            // in SPEC 2's scale (/255) the noise is damped; on the raw grey levels it would be
            // normalized to unit variance, the loss of an unpredictable pattern
            assertThat(Bimm.forwardLoss(zeros, target, Target.DORSAL_MOTION).getFloat())
                    .isLessThan(0.2f);
            assertThat(Bimm.forwardLoss(zeros, target, Target.DORSAL_CONTOUR).getFloat())
                    .isGreaterThan(0.99f);
        }
    }

    private static org.assertj.core.data.Offset<Double> within(double d) {
        return org.assertj.core.data.Offset.offset(d);
    }

    @Test
    void inflatedDorsalKernelOnAStaticTubeletEqualsTheVentralEmbedding() {
        Engine.getInstance().setRandomSeed(5);
        BimmConfig c = TestConfigs.micro().optSharing(WeightSharing.NONE).build();
        try (Bimm model = Bimm.newModel(c, Device.cpu());
                NDManager m = model.getManager().newSubManager()) {
            model.inflateDorsalFromVentral();
            byte[] patch = new byte[768];
            for (int i = 0; i < patch.length; i++) {
                patch[i] = (byte) (i * 37 % 256);
            }
            byte[] tubelet = new byte[1536];
            System.arraycopy(patch, 0, tubelet, 0, 768);
            System.arraycopy(patch, 0, tubelet, 768, 768);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray v =
                    model.getEncoder(Branch.VENTRAL)
                            .getPatchEmbed()
                            .forward(
                                    ps,
                                    new NDList(
                                            m.create(patch, new Shape(1, 1, 16, 16, 3))
                                                    .toType(DataType.UINT8, false)),
                                    false)
                            .head();
            NDArray d =
                    model.getEncoder(Branch.DORSAL)
                            .getPatchEmbed()
                            .forward(
                                    ps,
                                    new NDList(
                                            m.create(tubelet, new Shape(1, 1, 2, 16, 16, 3))
                                                    .toType(DataType.UINT8, false)),
                                    false)
                            .head();
            float[] a = v.toFloatArray();
            float[] b = d.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(b[i]).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
            // the unshared blocks were copied too
            assertThat(
                            model.getEncoder(Branch.DORSAL)
                                    .getBlocks()
                                    .get(5)
                                    .getMlp()
                                    .parameters()[0]
                                    .getArray()
                                    .toFloatArray())
                    .containsExactly(
                            model.getEncoder(Branch.VENTRAL)
                                    .getBlocks()
                                    .get(5)
                                    .getMlp()
                                    .parameters()[0]
                                    .getArray()
                                    .toFloatArray());
        }
    }
}
