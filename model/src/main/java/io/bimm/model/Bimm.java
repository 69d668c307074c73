package io.bimm.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.bimm.model.nn.Autocast;
import io.bimm.model.nn.NdOps;
import io.bimm.model.nn.StageDecoder;
import io.bimm.model.nn.StagedEncoder;
import io.bimm.model.nn.TransformerBlock;
import io.bimm.model.train.MaskedBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The BIMM dual-branch model (SPEC 4): a ventral (image) and a dorsal (video) staged encoder that
 * share their first blocks, and one decoder per branch stage whose target is on. B batch, K visible
 * and M masked tokens, D width.
 *
 * <p>{@code forward} takes the named arrays of {@link MaskedBatch#toNDList} and returns the total
 * loss first, then one scalar loss per enabled target named by {@link Target#key()}.
 */
public final class Bimm extends AbstractBlock implements AutoCloseable {

    private final BimmConfig config;
    private final NDManager manager;
    private final List<TransformerBlock> sharedBlocks = new ArrayList<>();
    private final Map<Branch, StagedEncoder> encoders = new EnumMap<>(Branch.class);
    private final Map<Target, StageDecoder> decoders = new EnumMap<>(Target.class);

    private Bimm(BimmConfig config, NDManager manager) {
        this.config = config;
        int d = config.getEmbedDim();
        for (int i = 0; i < config.getSharedBlocks(); i++) {
            sharedBlocks.add(
                    addChildBlock(
                            "shared_block_" + i,
                            TransformerBlock.builder()
                                    .setDim(d)
                                    .setHeads(config.getHeads())
                                    .optMlpRatio(config.getMlpRatio())
                                    .build()));
        }
        for (Branch b : Branch.values()) {
            encoders.put(b, addChildBlock(b.key(), encoder(b)));
        }
        for (Target t : Target.values()) {
            if (!config.isTargetOn(t)) {
                continue; // a target switched off has no decoder (paper Table 7 ablation)
            }
            decoders.put(
                    t,
                    addChildBlock(
                            "decoder_" + t.key(),
                            StageDecoder.builder()
                                    .setDim(d)
                                    .setDecoder(
                                            config.getDecoderDim(),
                                            config.getDecoderHeads(),
                                            config.getDecoderDepth(t.level()))
                                    .setTokens(config.getTokens(t.branch()))
                                    .setTargetDim(t.dim())
                                    .optMlpRatio(config.getMlpRatio())
                                    .build()));
        }
        this.manager = manager;
        if (manager != null) {
            initialize(manager, DataType.FLOAT32, new Shape(1));
        }
    }

    private StagedEncoder encoder(Branch branch) {
        return StagedEncoder.builder()
                .setDim(config.getEmbedDim(), config.getHeads())
                .setSplits(config.getSplits())
                .setTokens(config.getTokens(branch))
                .optFrames(branch.tubelet())
                .optMlpRatio(config.getMlpRatio())
                .optSharedBlocks(sharedBlocks)
                .build();
    }

    /**
     * Creates and initializes a model on {@code device}; call {@code
     * Engine.getInstance().setRandomSeed} first for a reproducible initialization.
     */
    public static Bimm newModel(BimmConfig config, Device device) {
        return new Bimm(config, NDManager.newBaseManager(device));
    }

    /**
     * Number of scalar parameters of a model with {@code config}, from the block structure alone
     * (no tensors are allocated).
     */
    public static long parameterCount(BimmConfig config) {
        return new Bimm(config, null).parameterCount();
    }

    public BimmConfig getConfig() {
        return config;
    }

    /** The manager owning the parameters. */
    public NDManager getManager() {
        return manager;
    }

    /** The encoder of one branch. */
    public StagedEncoder getEncoder(Branch branch) {
        return encoders.get(branch);
    }

    /**
     * Every parameter once, by a unique dotted name such as {@code shared_block_1.attn.qkv_weight}
     * (shared blocks listed once, under the model).
     */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect(this, "", out);
        return out;
    }

    private static void collect(Block block, String prefix, Map<String, Parameter> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.put(prefix + p.getKey(), p.getValue());
        }
        for (Pair<String, Block> child : block.getChildren()) {
            // DJL prefixes child names with a two-digit position; drop it
            collect(child.getValue(), prefix + child.getKey().substring(2) + ".", out);
        }
    }

    /** Total number of scalar parameters (shared blocks counted once). */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            n += p.getShape().size();
        }
        return n;
    }

    /**
     * The parameters that receive a gradient in {@code stage}: shared blocks, the encoders of the
     * stage's branches, and the decoders of their enabled targets.
     */
    public Set<Parameter> parametersOf(Stage stage) {
        Set<Parameter> out = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Block> blocks = new ArrayList<>(sharedBlocks);
        for (Branch b : Branch.values()) {
            if (stage.uses(b)) {
                blocks.add(encoders.get(b));
            }
        }
        for (Target t : Target.values()) {
            if (config.isTargetOn(t) && stage.uses(t.branch())) {
                blocks.add(decoders.get(t));
            }
        }
        for (Block b : blocks) {
            out.addAll(b.getParameters().values());
        }
        return out;
    }

    /** Encoder of one branch on visible tokens: {@code h1, h2, h3}, each {@code (B, K, D)}. */
    public NDList forwardEncoder(
            ParameterStore ps,
            Branch branch,
            NDArray pixels,
            NDArray visibleIdx,
            boolean training) {
        return getEncoder(branch).forward(ps, new NDList(pixels, visibleIdx), training);
    }

    /**
     * Decoder of one enabled target: predictions {@code (B, M, C)} for the masked tokens.
     *
     * @throws IllegalArgumentException for a target the config switches off (it has no decoder)
     */
    public NDArray forwardDecoder(
            ParameterStore ps,
            Target target,
            NDArray h,
            NDArray visibleIdx,
            NDArray maskedIdx,
            boolean training) {
        StageDecoder decoder = decoders.get(target);
        if (decoder == null) {
            throw new IllegalArgumentException(
                    "Target "
                            + target.key()
                            + " is switched off in this model: it has no decoder.");
        }
        return decoder.forward(ps, new NDList(h, visibleIdx, maskedIdx), training).head();
    }

    /**
     * Mean squared error over masked tokens and target values; uint8 targets (contour, RGB, motion)
     * are divided by {@link Target#divisor()} and normalized per token first (SPEC 2), float
     * targets (Gabor) are used as they are.
     */
    public static NDArray forwardLoss(NDArray pred, NDArray target, Target which) {
        NDArray t = target.toType(DataType.FLOAT32, false); // (B, M, C)
        if (which.normalized()) {
            if (which.divisor() != 1) {
                t = NdOps.mulScalar(t, 1f / which.divisor());
            }
            t = normalizePerToken(t);
        }
        // the loss in float32 whatever the matmuls ran in (mixed precision)
        return Autocast.toFloat32(pred).sub(t).square().mean();
    }

    /** {@code (v - mean) / sqrt(var_unbiased + 1e-6)} over the last axis. */
    public static NDArray normalizePerToken(NDArray v) {
        long c = v.getShape().get(v.getShape().dimension() - 1);
        NDArray mean = v.mean(new int[] {-1}, true);
        NDArray centered = v.sub(mean);
        NDManager m = v.getManager(); // scalars kept alive with the graph (see NdOps.mulScalar)
        NDArray var = centered.square().sum(new int[] {-1}, true).div(m.create((float) (c - 1)));
        return centered.div(var.add(m.create(1e-6f)).sqrt());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        Map<Target, NDArray> losses = new EnumMap<>(Target.class);
        NDArray total = null;
        for (Branch b : Branch.values()) {
            if (!inputs.contains(b.key("pixels"))) {
                continue;
            }
            NDArray vis = inputs.get(b.key("visible_idx"));
            NDArray masked = inputs.get(b.key("masked_idx"));
            NDList h = forwardEncoder(ps, b, inputs.get(b.key("pixels")), vis, training);
            NDArray branch = null;
            for (int level = 0; level < 3; level++) {
                Target t = b.target(level);
                if (!config.isTargetOn(t)) {
                    continue;
                }
                NDArray pred = forwardDecoder(ps, t, h.get(level), vis, masked, training);
                NDArray loss = forwardLoss(pred, inputs.get(t.key()), t);
                losses.put(t, loss);
                NDArray weighted = NdOps.mulScalar(loss, config.getWeight(level));
                branch = branch == null ? weighted : branch.add(weighted);
            }
            if (branch == null) {
                continue;
            }
            if (b == Branch.DORSAL) {
                branch = NdOps.mulScalar(branch, config.getLambda());
            }
            total = total == null ? branch : total.add(branch);
        }
        if (total == null) {
            throw new IllegalArgumentException(
                    "Nothing to train: no branch inputs or every target of them is switched off.");
        }
        NDList out = new NDList(total);
        total.setName("total");
        for (Map.Entry<Target, NDArray> e : losses.entrySet()) {
            e.getValue().setName(e.getKey().key());
            out.add(e.getValue());
        }
        return out;
    }

    @Override
    protected void initializeChildBlocks(NDManager m, DataType dataType, Shape... shapes) {
        Shape tokens = new Shape(1, 1, config.getEmbedDim());
        for (TransformerBlock b : sharedBlocks) {
            b.initialize(m, dataType, tokens);
        }
        // one token of uint8 pixels: (B, N, 16, 16, 3) for patches, (B, N, 2, 16, 16, 3) tubelets
        encoders.get(Branch.VENTRAL).initialize(m, dataType, new Shape(1, 1, 16, 16, 3));
        encoders.get(Branch.DORSAL).initialize(m, dataType, new Shape(1, 1, 2, 16, 16, 3));
        for (StageDecoder dec : decoders.values()) {
            dec.initialize(m, dataType, tokens, new Shape(1), new Shape(1));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape()};
    }

    /**
     * Initializes the dorsal encoder from the ventral one (SPEC 5): unshared blocks and stage norms
     * copied, the 2-D patch kernel inflated to 3-D by repeating it over the 2 tubelet frames and
     * halving it.
     */
    public void inflateDorsalFromVentral() {
        List<Parameter> from =
                new ArrayList<>(encoders.get(Branch.VENTRAL).getParameters().values());
        List<Parameter> to = new ArrayList<>(encoders.get(Branch.DORSAL).getParameters().values());
        if (from.size() != to.size()) {
            throw new IllegalStateException("Ventral and dorsal encoders differ in structure.");
        }
        for (int i = 0; i < from.size(); i++) {
            NDArray src = from.get(i).getArray();
            NDArray dst = to.get(i).getArray();
            try (NDManager scope = manager.newSubManager()) {
                NDArray value = src.duplicate();
                value.attach(scope);
                if (src.getShape().dimension() == 4) {
                    // [D,3,16,16] -> [D,3,2,16,16], each frame half the 2-D kernel
                    value = value.expandDims(2).repeat(2, 2).div(2f);
                }
                if (!value.getShape().equals(dst.getShape())) {
                    throw new IllegalStateException(
                            "Cannot copy "
                                    + from.get(i).getName()
                                    + " "
                                    + value.getShape()
                                    + " into "
                                    + dst.getShape());
                }
                value.copyTo(dst);
            }
        }
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
