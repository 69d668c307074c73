"""Independent PyTorch ViT encoders (VideoMAE-style dorsal, timm-style ventral) for the export
parity test. Usage: vit_parity.py EXPORT_DIR INPUTS.safetensors TOLERANCE

Loads encoder-{dorsal,ventral}.safetensors with load_state_dict(strict=True), runs the same
all-visible inputs the Java test ran through the DJL model, and compares the final-LN outputs.
Exit 0 on match, 1 on mismatch, 3 when torch is missing."""
import json
import math
import struct
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print("PyTorch/numpy missing for /usr/bin/python3 (%s): run apt-get install -y python3-torch" % e)
    sys.exit(3)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        b, e = t["data_offsets"]
        arr = np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(t["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def sinusoid_table(n, d):
    # VideoMAE's get_sinusoid_encoding_table
    table = np.array([[pos / np.power(10000, 2 * (j // 2) / d) for j in range(d)] for pos in range(n)])
    table[:, 0::2] = np.sin(table[:, 0::2])
    table[:, 1::2] = np.cos(table[:, 1::2])
    return torch.tensor(table, dtype=torch.float32).unsqueeze(0)


class Attention(nn.Module):
    def __init__(self, dim, heads, videomae):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.videomae = videomae
        self.qkv = nn.Linear(dim, dim * 3, bias=not videomae)
        if videomae:
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        if self.videomae:
            bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
            qkv = F.linear(x, self.qkv.weight, bias)
        else:
            qkv = self.qkv(x)
        qkv = qkv.reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, videomae):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, videomae)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, dim, video, tubelet):
        super().__init__()
        if video:
            self.proj = nn.Conv3d(3, dim, (tubelet, 16, 16), stride=(tubelet, 16, 16))
        else:
            self.proj = nn.Conv2d(3, dim, 16, stride=16)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Encoder(nn.Module):
    def __init__(self, cfg, video):
        super().__init__()
        dim = cfg["embed_dim"]
        self.patch_embed = PatchEmbed(dim, video, cfg["tubelet_size"])
        self.blocks = nn.ModuleList(
            [Block(dim, cfg["num_heads"], cfg["mlp_ratio"], video) for _ in range(cfg["depth"])])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        g = cfg["img_size"] // cfg["patch_size"]
        n = g * g * (cfg["num_frames"] // cfg["tubelet_size"] if video else 1)
        self.register_buffer("pos_embed", sinusoid_table(n, dim), persistent=False)

    def forward(self, x):
        mean = torch.tensor([0.485, 0.456, 0.406])
        std = torch.tensor([0.229, 0.224, 0.225])
        shape = (1, 3, 1, 1, 1) if x.dim() == 5 else (1, 3, 1, 1)
        x = (x / 255.0 - mean.view(shape)) / std.view(shape)
        x = self.patch_embed(x) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


def main():
    export_dir, inputs_path, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
    torch.set_grad_enabled(False)
    with open(export_dir + "/config.json") as f:
        cfg = json.load(f)
    inputs = read_safetensors(inputs_path)
    worst = 0.0
    for branch, video in (("ventral", False), ("dorsal", True)):
        model = Encoder(cfg, video)
        model.load_state_dict(read_safetensors(export_dir + "/" + cfg[branch + "_file"]), strict=True)
        model.eval()
        out = model(inputs[branch + "_input"])
        expected = inputs[branch + "_expected"]
        diff = (out - expected).abs().max().item()
        print("%s max_abs_diff=%.3g out_shape=%s" % (branch, diff, tuple(out.shape)))
        if tuple(out.shape) != tuple(expected.shape) or not math.isfinite(diff):
            print("shape mismatch or non-finite output")
            return 1
        worst = max(worst, diff)
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
