package io.bimm.model.export;

import ai.djl.nn.Parameter;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.model.Bimm;
import io.bimm.model.BimmConfig;
import io.bimm.model.Branch;
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
    public static final String DORSAL_FILE = Branch.DORSAL.exportFile();

    /** File name of the ventral encoder. */
    public static final String VENTRAL_FILE = Branch.VENTRAL.exportFile();

    private EncoderExporter() {}

    /** Writes the two encoder files and {@code config.json} into {@code dir} (created). */
    public static void export(Bimm model, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Branch b : List.of(Branch.DORSAL, Branch.VENTRAL)) {
            encoderTensors(model, b).write(dir.resolve(b.exportFile()));
        }
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
        for (Branch b : List.of(Branch.DORSAL, Branch.VENTRAL)) {
            json.addProperty(b.key("file"), b.exportFile());
        }
        json.add("bimm", JsonParser.parseString(c.toJson()));
        Files.writeString(
                dir.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json),
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("README.md"), readme(c), StandardCharsets.UTF_8);
    }

    /** How a PyTorch user loads the files into VideoMAE's or timm's finetuning code. */
    static String readme(BimmConfig c) {
        int d = c.getEmbedDim();
        int s = c.getImageSize();
        int t = c.getFrames();
        int n = (s / BimmConfig.PATCH) * (s / BimmConfig.PATCH);
        return String.join(
                "\n",
                "# BIMM encoders for finetuning",
                "",
                "Exported by `bimm export` from a BIMM checkpoint (preset `"
                        + c.getPreset()
                        + "`).",
                "Two ViT encoders, F32 safetensors, PyTorch key names and `[out, in]` layouts:",
                "",
                "- `" + DORSAL_FILE + "`: the video (dorsal) encoder, VideoMAE keys:",
                "  `patch_embed.proj` is a Conv3d `[" + d + ", 3, 2, 16, 16]` (tubelet 2),",
                "  attention biases as `attn.q_bias` / `attn.v_bias` (no key bias).",
                "- `" + VENTRAL_FILE + "`: the image (ventral) encoder, timm keys:",
                "  Conv2d `[" + d + ", 3, 16, 16]`, `attn.qkv.bias = [q_bias, 0, v_bias]`.",
                "- `config.json`: sizes (`embed_dim` "
                        + d
                        + ", `depth` "
                        + c.getDepth()
                        + ", `num_heads` "
                        + c.getHeads()
                        + ", `img_size` "
                        + s
                        + ", `num_frames` "
                        + t
                        + ") and the full BIMM config.",
                "",
                "Both have no class token; positions are the fixed 1-D sinusoid table over the",
                "flattened token index (VideoMAE's `get_sinusoid_encoding_table`), which is not",
                "stored. `norm.*` is the LayerNorm after the last block. Inputs are RGB in [0, 1]",
                "normalized with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225);",
                "LayerNorm eps 1e-6, GELU MLP of ratio " + c.getMlpRatio() + ".",
                "",
                "## VideoMAE (`modeling_finetune.VisionTransformer`)",
                "",
                "```python",
                "import json, torch",
                "from functools import partial",
                "from safetensors.torch import load_file",
                "from modeling_finetune import VisionTransformer",
                "cfg = json.load(open('config.json'))",
                "model = VisionTransformer(img_size=cfg['img_size'], patch_size=16,",
                "    embed_dim=cfg['embed_dim'], depth=cfg['depth'], num_heads=cfg['num_heads'],",
                "    mlp_ratio=cfg['mlp_ratio'], qkv_bias=True, all_frames=cfg['num_frames'],",
                "    tubelet_size=2, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),",
                "    use_mean_pooling=True, num_classes=NUM_CLASSES)",
                "state = load_file('" + DORSAL_FILE + "')",
                "missing, unexpected = model.load_state_dict(state, strict=False)",
                "# missing: fc_norm.*, head.* (new task head); unexpected: norm.* (with mean",
                "# pooling VideoMAE replaces norm by fc_norm after pooling)",
                "```",
                "",
                "With `run_class_finetuning.py`, pass the file through `--finetune` after saving",
                "it as `torch.save({'model': state}, 'bimm_dorsal.pth')`.",
                "",
                "## timm (`VisionTransformer`, ventral encoder)",
                "",
                "```python",
                "import timm, torch",
                "from safetensors.torch import load_file",
                "model = timm.create_model('vit_tiny_patch16_224', pretrained=False,",
                "    img_size="
                        + s
                        + ", embed_dim="
                        + d
                        + ", depth="
                        + c.getDepth()
                        + ", num_heads="
                        + c.getHeads()
                        + ",",
                "    class_token=False, global_pool='avg', fc_norm=False,",
                "    num_classes=NUM_CLASSES)",
                "state = load_file('" + VENTRAL_FILE + "')",
                "missing, unexpected = model.load_state_dict(state, strict=False)",
                "# missing: pos_embed and head.*; set the fixed sinusoid positions:",
                "import numpy as np",
                "def sinusoid(n, d):",
                "    t = np.array([[p / np.power(10000, 2 * (j // 2) / d) for j in range(d)]",
                "                  for p in range(n)])",
                "    t[:, 0::2], t[:, 1::2] = np.sin(t[:, 0::2]), np.cos(t[:, 1::2])",
                "    return torch.tensor(t, dtype=torch.float32).unsqueeze(0)",
                "model.pos_embed.data.copy_(sinusoid(" + n + ", " + d + "))",
                "model.pos_embed.requires_grad_(False)",
                "```",
                "");
    }

    /**
     * The SPEC 6 tensors of one branch encoder: VideoMAE's keys for the dorsal one, timm's for the
     * ventral one.
     */
    public static SafetensorsWriter encoderTensors(Bimm model, Branch branch) {
        StagedEncoder enc = model.getEncoder(branch);
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
            if (branch == Branch.DORSAL) {
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
