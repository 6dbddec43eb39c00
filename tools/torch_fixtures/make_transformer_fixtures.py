#!/usr/bin/python3
"""Reference data for tests/nn/torchTransformer.test.ts from torch.nn.TransformerEncoderLayer.

For each configuration (d_model 16, nhead 4, dim_feedforward 32, dropout 0, batch_first):
  <name>.state.safetensors  the layer's state_dict (torch's names and layouts; the metadata's
                            state_keys keeps torch's key order, safetensors sorts names)
  <name>.data.safetensors   x [2, 7, 16], key_padding_mask [2, 7] (I32, 1 = padded), R,
                            out_train, out_eval (eval mode under no_grad: torch's fast path),
                            grad.x and grad.<parameter> of sum(out_train * R * keep), where
                            keep zeroes the padded positions (their outputs are not compared
                            in eval mode, where the fast path may differ).
Run from the repository root:  /usr/bin/python3 tools/torch_fixtures/make_transformer_fixtures.py
Only torch and numpy are needed (safetensors is written by hand).
"""
import json
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'torch', 'transformer')
CONFIGS = [
    # name, norm_first, activation, seed
    ('post_relu', False, 'relu', 1),
    ('pre_relu', True, 'relu', 2),
    ('post_gelu', False, 'gelu', 3),
    ('pre_gelu', True, 'gelu', 4),
]
DTYPES = {torch.float32: 'F32', torch.int32: 'I32', torch.int64: 'I64'}


def write_safetensors(path, tensors, metadata):
    """8-byte little-endian header length, JSON header, raw little-endian data (sorted names)."""
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    js = json.dumps(header, separators=(',', ':'))
    js += ' ' * ((8 - (8 + len(js)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(js)))
        f.write(js.encode('ascii'))
        for b in blobs:
            f.write(b)


def make(name, norm_first, activation, seed):
    torch.manual_seed(seed)
    layer = torch.nn.TransformerEncoderLayer(
        d_model=16, nhead=4, dim_feedforward=32, dropout=0.0, activation=activation,
        batch_first=True, norm_first=norm_first)
    x = torch.randn(2, 7, 16)
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[0, 5:] = True  # batch 0: 5 real positions
    pad[1, 3:] = True  # batch 1: 3 real positions
    keep = (~pad).to(torch.float32)[:, :, None]
    R = torch.randn(2, 7, 16)

    layer.train()
    xg = x.clone().requires_grad_(True)
    out_train = layer(xg, src_key_padding_mask=pad)
    (out_train * R * keep).sum().backward()

    layer.eval()
    with torch.no_grad():
        out_eval = layer(x, src_key_padding_mask=pad)

    meta = {'torch': torch.__version__, 'config': json.dumps({
        'd_model': 16, 'nhead': 4, 'dim_feedforward': 32, 'dropout': 0.0, 'activation': activation,
        'batch_first': True, 'norm_first': norm_first, 'seed': seed})}
    state = layer.state_dict()
    write_safetensors(os.path.join(OUT, f'{name}.state.safetensors'), dict(state),
                      {**meta, 'state_keys': json.dumps(list(state.keys()))})
    data = {
        'x': x, 'key_padding_mask': pad.to(torch.int32), 'R': R,
        'out_train': out_train, 'out_eval': out_eval, 'grad.x': xg.grad,
    }
    for pname, p in layer.named_parameters():
        data[f'grad.{pname}'] = p.grad
    write_safetensors(os.path.join(OUT, f'{name}.data.safetensors'), data, meta)
    diff = ((out_train - out_eval).abs() * keep).max().item()
    print(f'{name}: {len(data)} data tensors; max |train - eval| at real positions {diff:.2e}')


def make_mha():
    """Cross-attention in torch's default [L, B, E] layout with both kinds of mask."""
    torch.manual_seed(5)
    mha = torch.nn.MultiheadAttention(12, 3)
    with torch.no_grad():  # torch zeroes the biases at init: make them matter
        mha.in_proj_bias.uniform_(-0.5, 0.5)
        mha.out_proj.bias.uniform_(-0.5, 0.5)
    query = torch.randn(5, 2, 12, requires_grad=True)
    key = torch.randn(7, 2, 12, requires_grad=True)
    value = torch.randn(7, 2, 12, requires_grad=True)
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[1, 4:] = True
    attn_mask = torch.randn(5, 7)
    attn_mask[0, 2] = float('-inf')
    attn_mask[3, :3] = float('-inf')
    R = torch.randn(5, 2, 12)
    out, _ = mha(query, key, value, key_padding_mask=pad, attn_mask=attn_mask, need_weights=False)
    (out * R).sum().backward()
    meta = {'torch': torch.__version__, 'config': json.dumps({'embed_dim': 12, 'num_heads': 3, 'batch_first': False})}
    state = mha.state_dict()
    write_safetensors(os.path.join(OUT, 'mha.state.safetensors'), dict(state), {**meta, 'state_keys': json.dumps(list(state.keys()))})
    data = {'query': query, 'key': key, 'value': value, 'key_padding_mask': pad.to(torch.int32),
            'attn_mask': attn_mask, 'R': R, 'out': out,
            'grad.query': query.grad, 'grad.key': key.grad, 'grad.value': value.grad}
    for pname, p in mha.named_parameters():
        data[f'grad.{pname}'] = p.grad
    write_safetensors(os.path.join(OUT, 'mha.data.safetensors'), data, meta)
    print(f'mha: {len(data)} data tensors')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    for cfg in CONFIGS:
        make(*cfg)
    make_mha()
    print(f'torch {torch.__version__}, wrote {os.path.normpath(OUT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
