#!/usr/bin/python3
"""Train-mode reference data for two options of the upstream-equal SPANet network: `dropout`
and normalization MaskedBatchNorm, from upstream's own network code (Alexanders101/SPANet, a
checkout you provide; none of its code is in this repository) with Debian's torch.

Reuses make_spanet_fixtures.py's stand-ins (pytorch-lightning, opt_einsum, numba prediction
code, JetReconstructionBase) and writes under tests/fixtures/torch/spanet/train_options/:

  maskedbn.state.safetensors  MaskedBatchNorm network before any step (running statistics fresh,
                              num_batches_tracked 0); metadata `options`, `state_keys`
  maskedbn.io.safetensors     train mode, two forwards: batch A (events 0..5, no gradient) then
                              batch B (events 6..11): `a.source.<i>.*`, `b.source.<i>.*`, batch
                              B's outputs (`assignment.<p>`, `detection.<p>`, `regression.<k>`,
                              `classification.<k>`), `loss` = L = sum(w * output) over the outputs
                              (w from loss_weight; -inf assignment entries left out),
                              `grad.<parameter>` of L, and `after_a.<buffer>` / `after_b.<buffer>`:
                              every running_mean / running_var / num_batches_tracked after each
  dropout_<variant>.state / .io  dropout 0.2 on four block/transformer paths, first 3 events:
                              one train-mode forward with torch's own dropout masks recorded in
                              call order (`mask_bits`: keep bits packed 32 per I32, see pack_bits;
                              metadata `mask_shapes`, torch's input shapes), its outputs, `loss`,
                              `grad.*`; dropout_gru also its eval outputs `eval.<output>`

Run from the repository root (same arguments as make_spanet_fixtures.py):
  /usr/bin/python3 tools/torch_fixtures/make_spanet_train_options_fixtures.py /tmp/spanet_up <commit> DATA.h5
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spanet_fixtures as base  # noqa: E402  (parses the same argv, installs the stand-ins)
from make_transformer_fixtures import write_safetensors  # noqa: E402
from spanet.options import Options  # noqa: E402

OUT = os.path.join(base.OUT, 'train_options')
SMALL = {**base.OPTIONS, 'hidden_dim': 8, 'transformer_dim': 8, 'initial_embedding_dim': 4, 'position_embedding_dim': 4}
DROPOUT_VARIANTS = {
    'dropout_gru': {},  # upstream's defaults: GRU blocks, Gated (GTrXL) transformer
    'dropout_basic': {'linear_block_type': 'Basic', 'transformer_type': 'Standard', 'linear_activation': 'ReLU'},
    'dropout_resnet': {'linear_block_type': 'Resnet', 'transformer_type': 'NormFirst'},
    'dropout_gated': {'linear_block_type': 'Gated'},
}


def build(opts, seed):
    options = Options(os.path.join(base.UPSTREAM, 'event_files', 'semi_leptonic_ttH.yaml'), base.DATA)
    options.update_options(opts)
    torch.manual_seed(seed)
    net = base.JetReconstructionNetwork(options)
    # as make_spanet_fixtures.main: spread the weights so each path moves the outputs
    with torch.no_grad():
        for name, p in net.named_parameters():
            if 'normalizer' in name or not p.dtype.is_floating_point:
                continue
            scale = 1.0 if name.endswith('norm.weight') or name.endswith('normalization.weight') else 0.0
            p.copy_(scale + 0.3 * torch.randn_like(p))
    return net


def outputs(net, out):
    names = list(net.event_info.product_particles.keys())
    o = {}
    for name, a, d in zip(names, out.assignments, out.detections):
        o[f'assignment.{name}'] = a
        o[f'detection.{name}'] = d
    for k, v in out.regressions.items():
        o[f'regression.{k}'] = v
    for k, v in out.classifications.items():
        o[f'classification.{k}'] = v
    return o


def loss_weight(n, k):
    """The weight of element i of output k (sorted names): ((7919·i + 104729·k) mod 13) / 6 − 1,
    exact in f32, so the tests compute the same weights instead of reading them."""
    i = torch.arange(n, dtype=torch.int64)
    return (((7919 * i + 104729 * k) % 13).double() / 6 - 1).float()


def weighted_loss(outs):
    loss = 0
    for k, name in enumerate(sorted(outs)):
        v = outs[name]
        w = loss_weight(v.numel(), k).reshape(v.shape)
        loss = loss + (torch.where(torch.isfinite(v), v, torch.zeros_like(v)) * w).sum()
    return loss


def pack_bits(masks):
    """The keep masks (factor > 0) in call order, flattened, 32 per I32 word (bit j of word w = element 32w + j)."""
    bits = torch.cat([(m.reshape(-1) > 0).to(torch.int64) for m in masks])
    bits = torch.cat([bits, torch.zeros((-len(bits)) % 32, dtype=torch.int64)]).reshape(-1, 32)
    words = (bits << torch.arange(32, dtype=torch.int64)).sum(1)
    return torch.where(words >= 2 ** 31, words - 2 ** 32, words).to(torch.int32)


def sources(prefix, batch):
    io = {}
    for i, (data, mask) in enumerate(batch.sources):
        io[f'{prefix}source.{i}.data'] = data.float()
        io[f'{prefix}source.{i}.mask'] = mask.to(torch.int32)
    return io


def write(name, net, state, io, opts, extra_meta=None):
    meta = {'upstream_commit': base.COMMIT, 'options': json.dumps(opts), **(extra_meta or {})}
    write_safetensors(os.path.join(OUT, f'{name}.state.safetensors'), state, {**meta, 'state_keys': json.dumps(list(state.keys()))})
    write_safetensors(os.path.join(OUT, f'{name}.io.safetensors'), {k: v.detach().float() if v.dtype.is_floating_point else v for k, v in io.items()}, meta)


def running(net, prefix):
    return {f'{prefix}{k}': v.clone().float() if v.dtype.is_floating_point else v.clone().to(torch.int32).reshape(1)
            for k, v in net.named_buffers() if k.rsplit('.', 1)[-1] in ('running_mean', 'running_var', 'num_batches_tracked')}


def maskedbn_case():
    opts = {**SMALL, 'normalization': 'MaskedBatchNorm'}
    net = build(opts, 21)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    a, b = net.training_dataset[0:6], net.training_dataset[6:12]
    with torch.no_grad():
        net(a.sources)
    io = {**sources('a.', a), **sources('b.', b), **running(net, 'after_a.')}
    outs = outputs(net, net(b.sources))
    io.update(running(net, 'after_b.'))
    loss = weighted_loss(outs)
    loss.backward()
    io.update(outs)
    io['loss'] = loss.reshape(1)
    io.update({f'grad.{n}': (p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in net.named_parameters() if p.requires_grad})
    write('maskedbn', net, state, io, opts)
    print('maskedbn: loss', float(loss), 'buffers', len([k for k in io if k.startswith('after_b.')]))


def dropout_case(name, overrides, events=3, with_eval=False):
    opts = {**SMALL, **overrides, 'dropout': 0.2}
    net = build(opts, 31)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    batch = net.training_dataset[:events]
    io = sources('', batch)
    if with_eval:
        net.eval()
        with torch.no_grad():
            io.update({f'eval.{k}': v for k, v in outputs(net, net(batch.sources)).items()})
    masks = []
    real_dropout = F.dropout

    def recording_dropout(x, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return x
        keep = (torch.rand(x.shape) >= p).float() / (1 - p)
        masks.append(keep)
        return x * keep

    F.dropout = recording_dropout  # nn.Dropout and multi_head_attention_forward both call it
    try:
        net.train()
        outs = outputs(net, net(batch.sources))
    finally:
        F.dropout = real_dropout
    loss = weighted_loss(outs)
    loss.backward()
    io.update(outs)
    io['loss'] = loss.reshape(1)
    io['mask_bits'] = pack_bits(masks)
    io.update({f'grad.{n}': (p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in net.named_parameters() if p.requires_grad})
    write(name, net, state, io, opts, {'mask_shapes': json.dumps([list(m.shape) for m in masks])})
    print(name, 'loss', float(loss), 'masks', len(masks), [tuple(m.shape) for m in masks[:6]])


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    maskedbn_case()
    for variant, overrides in DROPOUT_VARIANTS.items():
        dropout_case(variant, overrides, with_eval=variant == 'dropout_gru')
