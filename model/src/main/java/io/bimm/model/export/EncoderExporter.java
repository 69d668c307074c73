package io.bimm.model.export;

import ai.djl.nn.Parameter;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.nn.AttentionBlock;
import io.bimm.model.nn.MlpBlock;
import io.bimm.model.nn.StagedEncoder;
import io.bimm.model.nn.TransformerBlock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Exports both branch encoders for finetuning (SPEC 6): {@code encoder-dorsal.safetensors}
 * (VideoMAE keys, {@code q_bias}/{@code v_bias}), {@code encoder-ventral.safetensors} (timm keys,
 * {@code qkv.bias = [q_bias, 0, v_bias]}) and {@code config.json}.
 */
public final class EncoderExporter {

    /** File name of the dorsal encoder. */
    public static final String DORSAL_FILE = "encoder-dorsal.safetensors";

    /** File name of the ventral encoder. */
    public static final String VENTRAL_FILE = "encoder-ventral.safetensors";

    private EncoderExporter() {}

    /** Writes the two encoder files and {@code config.json} into {@code dir} (created). */
    public static void export(Bimm model, Path dir) throws IOException {
        Files.createDirectories(dir);
        encoderTensors(model, true).write(dir.resolve(DORSAL_FILE));
        encoderTensors(model, false).write(dir.resolve(VENTRAL_FILE));
        BimmConfig c = model.getConfig();
        JsonObject json = new JsonObject();
        json.addProperty("embed_dim", c.getEmbedDim());
        json.addProperty("depth", c.getDepth());
        json.addProperty("num_heads", c.getHeads());
        json.addProperty("mlp_ratio", c.getMlpRatio());
        json.addProperty("patch_size", BimmConfig.PATCH);
        json.addProperty("tubelet_size", BimmConfig.TUBELET);
        json.addProperty("img_size", c.getImageSize());
        json.addProperty("num_frames", c.getFrames());
        json.addProperty("qkv_bias", true);
        json.addProperty("norm_eps", 1e-6);
        json.addProperty("use_mean_pooling", false);
        json.addProperty("position_embedding", "fixed 1-D sinusoid over the flattened token index");
        json.addProperty("dorsal_file", DORSAL_FILE);
        json.addProperty("ventral_file", VENTRAL_FILE);
        json.add("bimm", JsonParser.parseString(c.toJson()));
        Files.writeString(
                dir.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json),
                StandardCharsets.UTF_8);
    }

    /** The SPEC 6 tensors of one branch encoder. */
    public static SafetensorsWriter encoderTensors(Bimm model, boolean dorsal) {
        StagedEncoder enc = model.getEncoder(dorsal);
        SafetensorsWriter w = new SafetensorsWriter();
        w.metadata("format", "pt");
        Parameter[] patch = enc.getPatchEmbed().parameters();
        add(w, "patch_embed.proj.weight", patch[0]);
        add(w, "patch_embed.proj.bias", patch[1]);
        List<TransformerBlock> blocks = enc.getBlocks();
        for (int i = 0; i < blocks.size(); i++) {
            String p = "blocks." + i + ".";
            TransformerBlock b = blocks.get(i);
            Parameter[] n1 = b.getNorm1().parameters();
            add(w, p + "norm1.weight", n1[0]);
            add(w, p + "norm1.bias", n1[1]);
            AttentionBlock attn = b.getAttention();
            Parameter[] a = attn.parameters();
            add(w, p + "attn.qkv.weight", a[0]);
            if (dorsal) {
                add(w, p + "attn.q_bias", a[1]);
                add(w, p + "attn.v_bias", a[2]);
            } else {
                float[] q = a[1].getArray().toFloatArray();
                float[] v = a[2].getArray().toFloatArray();
                float[] qkv = new float[3 * q.length];
                System.arraycopy(q, 0, qkv, 0, q.length);
                System.arraycopy(v, 0, qkv, 2 * q.length, v.length);
                w.add(p + "attn.qkv.bias", qkv, qkv.length);
            }
            add(w, p + "attn.proj.weight", a[3]);
            add(w, p + "attn.proj.bias", a[4]);
            Parameter[] n2 = b.getNorm2().parameters();
            add(w, p + "norm2.weight", n2[0]);
            add(w, p + "norm2.bias", n2[1]);
            MlpBlock mlp = b.getMlp();
            Parameter[] m = mlp.parameters();
            add(w, p + "mlp.fc1.weight", m[0]);
            add(w, p + "mlp.fc1.bias", m[1]);
            add(w, p + "mlp.fc2.weight", m[2]);
            add(w, p + "mlp.fc2.bias", m[3]);
        }
        Parameter[] norm = enc.getNorm(2).parameters();
        add(w, "norm.weight", norm[0]);
        add(w, "norm.bias", norm[1]);
        return w;
    }

    private static void add(SafetensorsWriter w, String name, Parameter p) {
        w.add(name, p.getArray().toFloatArray(), p.getShape().getShape());
    }
}
