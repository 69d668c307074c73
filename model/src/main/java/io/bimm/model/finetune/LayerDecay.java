package io.bimm.model.finetune;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.bimm.model.nn.StagedEncoder;
import io.bimm.model.nn.TransformerBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * Layer-wise lr decay as BEiT / VideoMAE finetuning applies it (paper Table 9): with {@code L =
 * depth + 2} layer ids (patch embed 0, block {@code i} gets {@code i + 1}, the final norm and the
 * head {@code depth + 1}), a parameter of layer {@code l} trains at {@code lr * decay^(L - 1 - l)}.
 * Weight decay as in pretraining: not on 1-D parameters or biases.
 */
public final class LayerDecay {

    /** One trainable parameter with its name, layer id and lr scale. */
    public record Group(String name, Parameter parameter, int layer, double lrScale) {}

    private LayerDecay() {}

    /** {@code decay^(depth + 1 - layer)}. */
    public static double scale(int layer, int depth, double decay) {
        return Math.pow(decay, depth + 1 - layer);
    }

    /**
     * The parameters finetuning updates: the encoder's patch embed, all its blocks (shared ones
     * included), its final LayerNorm, then the head; with {@code headOnly} (linear probe) only the
     * head.
     */
    public static List<Group> groups(
            StagedEncoder encoder, ClassifierHead head, double decay, boolean headOnly) {
        List<Group> out = new ArrayList<>();
        int depth = encoder.getBlocks().size();
        if (!headOnly) {
            Parameter[] patch = encoder.getPatchEmbed().parameters();
            out.add(group("patch_embed.proj.weight", patch[0], 0, depth, decay));
            out.add(group("patch_embed.proj.bias", patch[1], 0, depth, decay));
            for (int i = 0; i < depth; i++) {
                TransformerBlock b = encoder.getBlocks().get(i);
                for (Pair<String, Parameter> p : b.getParameters()) {
                    out.add(
                            group(
                                    "blocks." + i + "." + p.getKey(),
                                    p.getValue(),
                                    i + 1,
                                    depth,
                                    decay));
                }
            }
            Parameter[] norm = encoder.getNorm(2).parameters();
            out.add(group("norm.weight", norm[0], depth + 1, depth, decay));
            out.add(group("norm.bias", norm[1], depth + 1, depth, decay));
        }
        Parameter[] h = head.parameters();
        String[] names = ClassifierHead.parameterNames();
        for (int i = 0; i < h.length; i++) {
            out.add(group(names[i], h[i], depth + 1, depth, headOnly ? 1 : decay));
        }
        return out;
    }

    private static Group group(String name, Parameter p, int layer, int depth, double decay) {
        return new Group(name, p, layer, scale(layer, depth, decay));
    }
}
