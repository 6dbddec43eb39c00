"""Fixtures of CosmicTagger's own torch UResNet for tests/cosmic/upstreamUResNet.test.ts.

CosmicTagger's code never enters this repository. Export its network file to a scratch
directory and point the script at it (the README of the fixtures names the commit used):

  git --git-dir=<CosmicTagger.git> show <commit>:src/networks/torch/uresnet2D.py > /tmp/ct/uresnet2D.py
  COSMICTAGGER_URESNET=/tmp/ct/uresnet2D.py /usr/bin/python3 tools/torch_fixtures/make_cosmic_fixtures.py

uresnet2D.py imports its enums from src.config.network, which needs hydra and omegaconf;
a stand-in module with the same enums is installed instead, and the network options are
passed as a plain object (upstream reads them as attributes of the hydra config).

  ... make_cosmic_fixtures.py --check-ours   loads tests/fixtures/torch/cosmic/ours_small.safetensors
  (written by our test) into upstream's model with load_state_dict(strict=True) and writes
  torch's logits of its input to ours_small_torch.safetensors.
"""
import enum
import importlib.util
import json
import math
import os
import sys
import types

import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'torch', 'cosmic')


DTYPES = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64'}


def write_safetensors(path, tensors, order=None, extra=None):
    """8-byte header length, JSON header (metadata: torch version, state_dict key order, extra), raw data."""
    arrays = {k: np.array(v.detach().cpu().numpy() if torch.is_tensor(v) else v, order='C') for k, v in tensors.items()}
    meta = {'torch': torch.__version__, 'source': 'tools/torch_fixtures/make_cosmic_fixtures.py', **(extra or {})}
    if order:
        meta['order'] = json.dumps(order)
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


def load_upstream():
    path = os.environ.get('COSMICTAGGER_URESNET')
    if not path or not os.path.exists(path):
        sys.exit('set COSMICTAGGER_URESNET to an exported copy of CosmicTagger src/networks/torch/uresnet2D.py')
    net = types.ModuleType('src.config.network')
    # Same members as upstream's enums (values are not used by uresnet2D.py, only identity).
    net.Connection = enum.Enum('Connection', 'concat sum none', start=0)
    net.GrowthRate = enum.Enum('GrowthRate', 'multiplicative additive', start=0)
    net.DownSampling = enum.Enum('DownSampling', 'convolutional max_pooling', start=0)
    net.UpSampling = enum.Enum('UpSampling', 'convolutional interpolation', start=0)
    net.Norm = enum.Enum('Norm', 'none batch layer', start=0)
    for name in ('src', 'src.config'):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules['src.config.network'] = net
    spec = importlib.util.spec_from_file_location('uresnet2D', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, net


MOD, NET = load_upstream()

# Upstream's network defaults (src/config/network.py, class Network / UResNet).
DEFAULT = dict(bias=True, normalization='batch', n_initial_filters=16, blocks_per_layer=2, blocks_deepest_layer=5,
               blocks_final=5, depth=6, filter_size_deepest=5, bottleneck_deepest=256, residual=True, block_concat=False,
               connections='concat', growth_rate='additive', downsampling='max_pooling', upsampling='interpolation')
SMALL = dict(DEFAULT, n_initial_filters=8, blocks_per_layer=1, blocks_deepest_layer=1, blocks_final=1, depth=2,
             filter_size_deepest=3, bottleneck_deepest=32)
# Every other option value at least once.
VARIANT_A = dict(SMALL, normalization='none', residual=False, block_concat=True, connections='sum',
                 growth_rate='multiplicative', downsampling='convolutional', upsampling='convolutional')
VARIANT_B = dict(SMALL, bias=False, connections='none', depth=3, filter_size_deepest=1, blocks_final=0)


def params_object(cfg):
    enums = dict(normalization=NET.Norm, connections=NET.Connection, growth_rate=NET.GrowthRate,
                 downsampling=NET.DownSampling, upsampling=NET.UpSampling)
    p = types.SimpleNamespace(**cfg)
    for k, e in enums.items():
        setattr(p, k, e[cfg[k]])
    return p


def build(cfg, seed):
    torch.manual_seed(seed)
    return MOD.UResNet(params_object(cfg))


def forward(model, x):
    return torch.stack(model(x), dim=1)  # tuple of 3 [B, 3, H, W] -> [B, planes, classes, H, W]


def closed_form_weights(model):
    """Weights both sides compute without sharing an RNG: parameter j (state-dict order among
    parameters), element i -> scale_j * sin(0.7 (i mod 9973) + 1.3 j + 0.1), in float64, rounded
    to float32. Conv weights get upstream's Xavier bound; norm weights 1 + 0.2 sin, biases 0.1 sin."""
    with torch.no_grad():
        for j, (name, p) in enumerate(model.named_parameters()):
            i = np.arange(p.numel(), dtype=np.float64)
            s = np.sin(0.7 * np.mod(i, 9973) + 1.3 * j + 0.1)
            if p.dim() == 4:
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                fan_out = p.shape[0] * p.shape[2] * p.shape[3]
                v = math.sqrt(6 / (fan_in + fan_out)) * s
            elif name.endswith('norm.weight'):
                v = 1 + 0.2 * s
            else:
                v = 0.1 * s
            p.copy_(torch.from_numpy(v.astype(np.float32)).reshape(p.shape))


def warm_up(model, shape, seed, passes):
    """Train-mode forwards on other inputs: running statistics and counters move off 0 / 1 / 0."""
    model.train()
    with torch.no_grad():
        for k in range(passes):
            forward(model, sparse_image(shape, 1000 * seed + k))


def record(model, x, upstream, keep_grad):
    model.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    y = forward(model, x)
    (y * upstream).sum().backward()
    out = {'input': x.detach(), 'upstream': upstream, 'output': y.detach(), 'grad.input': x.grad}
    norms = {}
    for name, p in model.named_parameters():
        norms[name] = float(p.grad.double().norm())
        if keep_grad(name, p):
            out['grad.' + name] = p.grad
    return out, norms


def sparse_image(shape, seed):
    """Hits of 2-4 over uniform noise below 1. Dense on purpose: on exact zeros torch's CPU
    convolutions round neighbouring pixels differently, and wide dynamic range packs the
    background into a sliver of the f32 range; both make 2x2 max-pool near-ties that rounding
    decides (see tie_free_input)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g)
    hits = torch.rand(shape, generator=g) > 0.9
    return torch.where(hits, 2 + 2 * x, x)


def kink_margin(model, x):
    """Smallest distance of the model to a kink of its gradient, in its current mode: the gap
    between the two largest values of any 2x2 max-pool window relative to the window's largest
    |value|, and |x| / max|x| at the input of any leaky ReLU (slope 1 vs 0.01)."""
    margins = []

    def pool_hook(_m, inp, _out):
        v = inp[0].detach()
        B, C, H, W = v.shape
        w = v.reshape(B, C, H // 2, 2, W // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(-1, 4)
        top = torch.topk(w, 2, dim=1).values
        margins.append(float(((top[:, 0] - top[:, 1]) / w.abs().max(dim=1).values.clamp_min(1e-30)).min()))

    original = torch.nn.functional.leaky_relu

    def leaky(v, *args, **kwargs):
        margins.append(float(v.abs().min() / v.abs().max().clamp_min(1e-30)))
        return original(v, *args, **kwargs)

    hooks = [m.register_forward_hook(pool_hook) for m in model.modules() if isinstance(m, torch.nn.MaxPool2d)]
    blocks = [m for m in model.modules() if getattr(m, 'activation', None) is original]
    for m in blocks:
        m.activation = leaky
    torch.nn.functional.leaky_relu = leaky  # ResidualBlock.forward looks it up at call time
    try:
        with torch.no_grad():
            forward(model, x)
    finally:
        torch.nn.functional.leaky_relu = original
        for m in blocks:
            m.activation = original
        for h in hooks:
            h.remove()
    return min(margins, default=1.0)


def tie_free_input(model, shape, seed, margin):
    """The gradient jumps where a max-pool window's two largest values meet and where a leaky
    ReLU's input crosses 0; rounding differences between torch and the engine (~1e-7 relative)
    must not decide the side. Inputs are drawn until every kink is further than `margin`, in
    eval and train mode."""
    state = {k: v.clone() for k, v in model.state_dict().items()}
    for k in range(400):
        x = sparse_image(shape, seed + 7919 * k)
        gaps = []
        for mode in (False, True):
            model.train(mode)
            gaps.append(kink_margin(model, x))
            model.load_state_dict(state)  # the train-mode pass moved the running statistics
        if min(gaps) > margin:
            return x, min(gaps), k
    sys.exit(f'no tie-free input found for seed {seed}')


def fixture(tag, cfg, shape, seed, closed_form=False, margin=1e-6):
    model = build(cfg, seed)
    if closed_form:
        closed_form_weights(model)
    else:
        with torch.no_grad():  # batch-norm affine parameters away from 1 / 0
            for name, p in model.named_parameters():
                if name.endswith('norm.weight'):
                    p.uniform_(0.7, 1.3)
                elif name.endswith('norm.bias'):
                    p.uniform_(-0.2, 0.2)
    warm_up(model, shape, seed + 1, 12 if closed_form else 3)
    sd = model.state_dict()
    layout = {k: [list(v.shape), str(v.dtype).replace('torch.', '')] for k, v in sd.items()}
    meta = {'config': json.dumps(cfg), 'keys': json.dumps(layout), 'closed_form': str(closed_form),
            'parameters': str(sum(p.numel() for p in model.parameters()))}
    if closed_form:  # the parameters are recomputed by the test; only the buffers travel
        state = {k: v for k, v in sd.items() if k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))}
    else:
        state = sd
    x, gap, tries = tie_free_input(model, shape, seed + 2, margin)
    meta['pool_margin'] = repr(gap)
    write_safetensors(os.path.join(OUT, f'{tag}_state.safetensors'), state, list(sd), meta)
    g = torch.Generator().manual_seed(seed + 3)
    upstream = torch.randn((shape[0], 3, 3, shape[2], shape[3]), generator=g)
    keep = (lambda n, p: p.numel() <= 4096) if closed_form else (lambda n, p: True)
    model.eval()
    ev, ev_norms = record(model, x, upstream, keep)
    write_safetensors(os.path.join(OUT, f'{tag}_eval.safetensors'), ev, None, {'grad_norms': json.dumps(ev_norms)})
    model.train()
    tr, tr_norms = record(model, x, upstream, keep)
    for name, b in model.named_buffers():
        tr['after.' + name] = b
    write_safetensors(os.path.join(OUT, f'{tag}_train.safetensors'), tr, None, {'grad_norms': json.dumps(tr_norms)})
    print(tag, 'input draw', tries, 'pool margin', gap, 'parameters', meta['parameters'], 'max |logit| eval', float(ev['output'].abs().max()), 'train', float(tr['output'].abs().max()))


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = int.from_bytes(f.read(8), 'little')
        header = json.loads(f.read(n))
        data = f.read()
    dt = {'F32': np.float32, 'I64': np.int64, 'I32': np.int32}
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dt[v['dtype']]).reshape(v['shape']).copy())
    return out, header.get('__metadata__', {})


def check_ours():
    """Our exported state dict into upstream's model (strict), eval logits of the same input."""
    path = os.path.join(OUT, 'ours_small.safetensors')
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta['config'])
    model = build(cfg, 0)
    sd = {k[len('state.'):]: v for k, v in tensors.items() if k.startswith('state.')}
    model.load_state_dict(sd, strict=True)
    model.eval()
    with torch.no_grad():
        y = forward(model, tensors['input'])
    d = float((y - tensors['ours.logits']).abs().max())
    write_safetensors(os.path.join(OUT, 'ours_small_torch.safetensors'), {'logits': y},
                      None, {'max_abs_diff_vs_ours': repr(d), 'loaded': 'load_state_dict(strict=True)'})
    print('our weights in upstream UResNet: strict load ok, max |torch - ours| =', d, 'of max |logit|', float(y.abs().max()))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    if '--check-ours' in sys.argv:
        check_ours()
    else:
        fixture('small', SMALL, (2, 3, 16, 32), 10)
        fixture('variant_a', VARIANT_A, (2, 3, 16, 32), 20)
        fixture('variant_b', VARIANT_B, (2, 3, 16, 32), 30)
        # millions of pool windows and leaky ReLUs: no draw is free of near-kinks, the test compares its gradients in aggregate.
        fixture('default', DEFAULT, (1, 3, 128, 256), 40, closed_form=True, margin=-1)
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)), 'bytes')
