"""Torch reference fixtures for tests/nn/torchConv.test.ts.

Run from the repository root with Debian's torch:  /usr/bin/python3 tools/torch_fixtures/make_conv_fixtures.py
Writes tests/fixtures/torch/*.safetensors (a few KB): state dicts with torch's names and
dtypes (num_batches_tracked is I64), inputs, seeded upstream gradients R, outputs and the
gradients of L = sum(output * R) with respect to the input and every parameter.
"""
import json
import os
import struct

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'torch')
DTYPES = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64'}


def write_safetensors(path, tensors, order=None):
    """Minimal safetensors writer: 8-byte header length, JSON header, raw little-endian data."""
    # ascontiguousarray would turn 0-d tensors (num_batches_tracked) into shape [1].
    arrays = {k: np.array(v.detach().cpu().numpy() if torch.is_tensor(v) else v, order='C') for k, v in tensors.items()}
    meta = {'torch': torch.__version__, 'source': 'tools/torch_fixtures/make_conv_fixtures.py'}
    if order:
        meta['order'] = json.dumps(order)  # state_dict() key order (the file's entries are sorted)
    header = {'__metadata__': meta}
    offset = 0
    for name in sorted(arrays):
        a = arrays[name]
        header[name] = {'dtype': DTYPES[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text.encode('ascii'))
        for name in sorted(arrays):
            f.write(arrays[name].astype(arrays[name].dtype.newbyteorder('<')).tobytes())


def record(model, x, upstream):
    """Output and gradients of sum(model(x) * upstream) w.r.t. x and each named parameter."""
    model.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    y = model(x)
    (y * upstream).sum().backward()
    out = {'input': x.detach(), 'upstream': upstream, 'output': y.detach(), 'grad.input': x.grad}
    for name, p in model.named_parameters():
        out['grad.' + name] = p.grad
    return out


def mlp_fixture():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    x = torch.randn(6, 5)
    upstream = torch.randn(6, 3)
    write_safetensors(os.path.join(OUT, 'mlp_state.safetensors'), model.state_dict(), list(model.state_dict()))
    write_safetensors(os.path.join(OUT, 'mlp_io.safetensors'), record(model, x, upstream))


def conv_fixture():
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, bias=True),
        nn.BatchNorm2d(4),
        nn.LeakyReLU(0.01),
        nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False),
        nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
    )
    with torch.no_grad():
        # Non-trivial affine parameters (torch starts at 1 and 0).
        model[1].weight.uniform_(0.5, 1.5)
        model[1].bias.uniform_(-0.5, 0.5)
        # Two train-mode passes on other batches: running statistics and counter away from their defaults.
        model.train()
        for _ in range(2):
            model(torch.randn(3, 3, 5, 7) * 2 + 0.5)
    write_safetensors(os.path.join(OUT, 'conv_state.safetensors'), model.state_dict(), list(model.state_dict()))
    x = torch.randn(2, 3, 5, 7)
    upstream = torch.randn(2, 2, 20, 28)
    model.train()
    train = record(model, x, upstream)
    for name, b in model.named_buffers():
        train['after.' + name] = b
    write_safetensors(os.path.join(OUT, 'conv_train.safetensors'), train)
    model.eval()
    write_safetensors(os.path.join(OUT, 'conv_eval.safetensors'), record(model, x, upstream))


class Nested(nn.Module):
    """Children registered before an own parameter: torch still saves own entries first."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        self.scale = nn.Parameter(torch.ones(2))
        self.blocks = nn.ModuleList([nn.BatchNorm1d(2), nn.Linear(2, 2, bias=False)])
        self.register_buffer('step', torch.zeros((), dtype=torch.int64))
        self.register_buffer('scratch', torch.zeros(2), persistent=False)


def nested_fixture():
    """Key order and names of nested modules, ModuleList and buffers (tests/nn/module.test.ts)."""
    torch.manual_seed(2)
    model = Nested()
    sd = model.state_dict()
    write_safetensors(os.path.join(OUT, 'nested_state.safetensors'), sd, list(sd))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    mlp_fixture()
    conv_fixture()
    nested_fixture()
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)), 'bytes')
