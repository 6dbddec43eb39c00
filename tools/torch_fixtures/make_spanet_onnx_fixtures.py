#!/usr/bin/python3
"""Upstream SPANet's own ONNX export (spanet/export.py) on the ttH_small network, for comparison.

Loads tests/fixtures/torch/spanet/ttH_small.state.safetensors into upstream's
JetReconstructionNetwork (same stand-ins as make_spanet_fixtures.py), wraps it in upstream's
export.WrappedModel and exports it with torch.onnx.export as upstream's `main` does (opset
15, upstream's input_names / output_names / dynamic_axes from `onnx_specification`, traced on
one event). The .onnx files go to OUT_DIR (they hold the weights: not committed); the eager
outputs of the wrapped model on the first EVENTS events go to
tests/fixtures/torch/spanet/onnx/upstream_eager.json (names and a few values only).

Lightning's to_onnx wraps the source list in a 1-tuple and calls torch.onnx.export: this script
calls torch.onnx.export the same way (pytorch-lightning is not installed).

Run from the repository root:
  git --git-dir=<mirror> archive <commit> | tar x -C /tmp/spanet_up
  /usr/bin/python3 tools/torch_fixtures/make_spanet_onnx_fixtures.py /tmp/spanet_up <commit> DATA.h5 OUT_DIR
"""
import json
import os
import struct
import sys

import numpy as np
import torch

OUT_DIR = sys.argv.pop(4)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spanet_fixtures as base  # noqa: E402  (sets up upstream's modules from sys.argv)

FIXTURES = os.path.join(base.OUT, 'onnx')
EVENTS = 2
# export flag sets (upstream's command-line switches) -> file stem
VARIANTS = {
    'plain': dict(input_log_transform=False, output_log_transform=False, output_embeddings=False),
    'log_in_embeddings': dict(input_log_transform=True, output_log_transform=False, output_embeddings=True),
    'log_out': dict(input_log_transform=False, output_log_transform=True, output_embeddings=False),
}
TORCH_DTYPES = {'F32': torch.float32, 'I64': torch.int64, 'I32': torch.int32}


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    meta = header.pop('__metadata__', {})
    out = {}
    for name, h in header.items():
        a, b = h['data_offsets']
        dt = TORCH_DTYPES[h['dtype']]
        t = torch.frombuffer(bytearray(blob[a:b]), dtype=dt) if b > a else torch.zeros(0, dtype=dt)
        out[name] = t.reshape(h['shape'])
    return out, meta


base.stub('spanet.evaluation', load_model=None, evaluate_on_test_dataset=None)
sys.modules['spanet'].JetReconstructionModel = None
from spanet.export import WrappedModel, onnx_specification  # noqa: E402
from spanet.dataset.types import Source  # noqa: E402


def num(v):
    """JSON has no infinities: -inf / inf / nan as strings."""
    return v if np.isfinite(v) else str(v)


def few(t):
    """A few values of an output: its first 6 finite values and the position of its maximum."""
    flat = t.reshape(-1).double()
    finite = flat[torch.isfinite(flat)]
    return {'shape': list(t.shape), 'first_finite': finite[:6].tolist(), 'argmax': int(flat.argmax()), 'max': num(float(flat.max())),
            'neg_inf': int(torch.isneginf(flat).sum()), 'zeros': int((flat == 0).sum())}


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    os.makedirs(OUT_DIR, exist_ok=True)
    state, meta = read_safetensors(os.path.join(base.OUT, 'ttH_small.state.safetensors'))
    opts = json.loads(meta['options'])
    options = base.Options(os.path.join(base.UPSTREAM, 'event_files', 'semi_leptonic_ttH.yaml'), base.DATA)
    options.update_options(opts)
    net = base.JetReconstructionNetwork(options)
    net.load_state_dict(state, strict=True)
    net.eval()
    sources = list(net.training_dataset[:EVENTS].sources)
    log_features = [net.event_info.log_features(name) for name in net.event_info.input_names]
    # raw features for --input-log-transform: undo the dataset's log(x + 1) on log features
    raw = [Source(torch.where(torch.from_numpy(np.asarray(lf))[None, None, :], torch.expm1(d), d), m)
           for (d, m), lf in zip(sources, log_features)]
    report = {'upstream_commit': base.COMMIT, 'torch': torch.__version__, 'opset': 15, 'events': EVENTS,
              'state': 'ttH_small.state.safetensors', 'variants': {}}
    for stem, flags in VARIANTS.items():
        wrapped = WrappedModel(net, **flags)
        wrapped.eval()
        for p in wrapped.parameters():
            p.requires_grad_(False)
        input_names, output_names, dynamic_axes = onnx_specification(net, flags['output_log_transform'], flags['output_embeddings'])
        feed = raw if flags['input_log_transform'] else sources
        with torch.no_grad():
            outs = wrapped(feed)
        # upstream traces on one event (x[:1]); dynamic_axes make batch and vector counts symbolic
        sample = [Source(d[:1], m[:1]) for d, m in feed]
        path = os.path.join(OUT_DIR, f'upstream_{stem}.onnx')
        torch.onnx.export(wrapped, (sample,), path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=15)
        report['variants'][stem] = {
            'flags': flags, 'input_names': input_names, 'output_names': output_names,
            'dynamic_axes': {k: {str(a): n for a, n in v.items()} for k, v in dynamic_axes.items()},
            'outputs': {name: few(o) for name, o in zip(output_names, outs)},
            # small outputs in full: detections, regressions, classifications, embeddings
            'values': {name: [num(v) for v in o.reshape(-1).tolist()] for name, o in zip(output_names, outs) if o.numel() <= 64},
        }
        print(stem, len(output_names), 'outputs ->', path)
    with open(os.path.join(FIXTURES, 'upstream_eager.json'), 'w') as f:
        json.dump(report, f, indent=1)


if __name__ == '__main__':
    main()
