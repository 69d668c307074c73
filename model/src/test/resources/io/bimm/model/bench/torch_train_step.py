"""PyTorch eager reference of one BIMM joint training step (SPEC 4-5), for comparing the DJL
step time on the same machine. Usage: torch_train_step.py [--batch 8] [--steps 10] [--threads N]
Prints: torch_eager step_s=Y clips_per_s=X threads=N parameters=P torch=V blas=LIB

The shapes are those of the Java model's tiny preset (S 112, T 8, 75% ventral and 90% tube
masking, encoders on visible tokens only): the same parameter count, printed to check it. blas
names the BLAS library the process loaded: Debian's python3-torch links the generic libblas.so.3,
which is the slow reference BLAS unless an optimized one (OpenBLAS) provides it; see
compare_torch_step.sh."""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

D, DEPTH, HEADS, DD, DHEADS, DDEPTHS, SPLITS, S, T = 192, 12, 3, 96, 3, (1, 1, 2), (2, 4, 12), 112, 8
G = S // 16
NI, NV = G * G, (T // 2) * G * G
MV = int(0.75 * NI)
MD_SLOT = int(0.9 * NI)
MD = (T // 2) * MD_SLOT


def table(n, d):
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    j = torch.arange(d)
    angle = pos / torch.pow(10000.0, (2 * (j // 2)).double() / d)
    out = torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
    return out.float()


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias).reshape(b, n, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        att = ((q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Encoder(nn.Module):
    def __init__(self, shared, pvals, n):
        super().__init__()
        self.embed = nn.Linear(pvals, D)
        self.shared = shared
        self.own = nn.ModuleList([Block(D, HEADS) for _ in range(DEPTH - len(shared))])
        self.norms = nn.ModuleList([nn.LayerNorm(D, eps=1e-6) for _ in range(3)])
        self.register_buffer("pos", table(n, D))

    def forward(self, px, vis):
        x = self.embed(px) + self.pos[vis]
        outs = []
        for i, blk in enumerate(list(self.shared) + list(self.own)):
            x = blk(x)
            if i + 1 in SPLITS:
                outs.append(self.norms[SPLITS.index(i + 1)](x))
        return outs


class Decoder(nn.Module):
    def __init__(self, depth, n, c):
        super().__init__()
        self.embed = nn.Linear(D, DD, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(DD))
        self.blocks = nn.ModuleList([Block(DD, DHEADS) for _ in range(depth)])
        self.norm = nn.LayerNorm(DD, eps=1e-6)
        self.pred = nn.Linear(DD, c)
        self.register_buffer("pos", table(n, DD))

    def forward(self, h, vis, msk):
        x = torch.cat((self.embed(h) + self.pos[vis], self.mask_token + self.pos[msk]), 1)
        for blk in self.blocks:
            x = blk(x)
        return self.pred(self.norm(x)[:, h.shape[1]:])


def norm_tok(v):
    mean = v.mean(-1, keepdim=True)
    var = v.var(-1, keepdim=True, unbiased=True)
    return (v - mean) / (var + 1e-6).sqrt()


class Bimm(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.ModuleList([Block(D, HEADS) for _ in range(SPLITS[1])])
        self.ventral = Encoder(self.shared, 768, NI)
        self.dorsal = Encoder(self.shared, 1536, NV)
        self.vdec = nn.ModuleList(
            [Decoder(DDEPTHS[i], NI, c) for i, c in enumerate((32, 256, 768))])
        self.ddec = nn.ModuleList(
            [Decoder(DDEPTHS[i], NV, c) for i, c in enumerate((64, 512, 1536))])

    def forward(self, batch):
        mean = torch.tensor([0.485, 0.456, 0.406])
        std = torch.tensor([0.229, 0.224, 0.225])
        total = 0
        for enc, decs, p in ((self.ventral, self.vdec, "v"), (self.dorsal, self.ddec, "d")):
            px = batch[p + "px"]
            x = ((px.float() / 255 - mean) / std).reshape(px.shape[0], px.shape[1], -1)
            hs = enc(x, batch[p + "vis"])
            for level, dec in enumerate(decs):
                tgt = batch[p + "t%d" % level].float()
                if level > 0:  # contour {0, 1}; RGB and motion / 255 (SPEC 2)
                    tgt = norm_tok(tgt / 255 if level == 2 else tgt)
                total = total + F.mse_loss(dec(hs[level], batch[p + "vis"], batch[p + "msk"]), tgt)
        return total


def make_batch(b):
    vis_v, msk_v, vis_d, msk_d = [], [], [], []
    for _ in range(b):
        perm = torch.randperm(NI)
        msk_v.append(perm[:MV].sort().values)
        vis_v.append(perm[MV:].sort().values)
        sp = torch.randperm(NI)[:MD_SLOT]
        m = torch.zeros(NV, dtype=torch.bool)
        for t in range(T // 2):
            m[t * NI + sp] = True
        msk_d.append(m.nonzero()[:, 0])
        vis_d.append((~m).nonzero()[:, 0])
    r8 = lambda *s: torch.randint(0, 256, s, dtype=torch.uint8)
    return {
        "vvis": torch.stack(vis_v), "vmsk": torch.stack(msk_v),
        "vpx": r8(b, NI - MV, 16, 16, 3), "vt0": torch.rand(b, MV, 32),
        "vt1": torch.randint(0, 2, (b, MV, 256), dtype=torch.uint8), "vt2": r8(b, MV, 768),
        "dvis": torch.stack(vis_d), "dmsk": torch.stack(msk_d),
        "dpx": r8(b, NV - MD, 2, 16, 16, 3), "dt0": torch.rand(b, MD, 64),
        "dt1": torch.randint(0, 2, (b, MD, 512), dtype=torch.uint8), "dt2": r8(b, MD, 1536),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model = Bimm()
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and not n.endswith("bias")]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim > 1 and not n.endswith("bias"))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=1.5e-4 * a.batch / 256, betas=(0.9, 0.95))
    batches = [make_batch(a.batch) for _ in range(4)]
    def step(i):
        opt.zero_grad(set_to_none=False)
        loss = model(batches[i % 4])
        loss.backward()
        opt.step()
        return loss.item()
    for i in range(2):
        step(i)
    t0 = time.time()
    c0 = time.process_time()
    for i in range(a.steps):
        step(i)
    dt = (time.time() - t0) / a.steps
    # CPU time of the process per step: on a shared machine it varies much less with the load
    print("cpu_s_per_step=%.4f" % ((time.process_time() - c0) / a.steps))
    n = sum(p.numel() for p in model.parameters())
    print("torch_eager step_s=%.4f clips_per_s=%.2f threads=%d parameters=%d torch=%s blas=%s"
          % (dt, a.batch / dt, torch.get_num_threads(), n, torch.__version__, blas_library()))


def blas_library():
    """File name of the BLAS shared library mapped into this process (after a matmul ran)."""
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path.lower() or "mkl" in path.lower():
                names.add(path)
    return ",".join(sorted(names)) or "none"


if __name__ == "__main__":
    main()
