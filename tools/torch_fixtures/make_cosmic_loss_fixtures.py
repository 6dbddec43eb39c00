"""Loss, metric and learning-rate fixtures from CosmicTagger's own torch code, for
tests/cosmic/upstreamLoss.test.ts.

CosmicTagger's code never enters this repository. Export three of its files to a scratch
directory (the fixtures' README names the commit used) and point the script at it:

  for f in src/networks/torch/LossCalculator.py src/utils/torch/trainer.py src/utils/core/trainercore.py; do
    git --git-dir=<CosmicTagger.git> show <commit>:$f > /tmp/ct/$(basename $f); done
  COSMICTAGGER_SRC=/tmp/ct /usr/bin/python3 tools/torch_fixtures/make_cosmic_loss_fixtures.py

- LossCalculator.py is imported as is, with a stand-in `src.config` holding its enum.
- trainer.py and trainercore.py import hydra, larcv and the rest of the package; only the two
  methods used here (`torch_trainer._calculate_accuracy`, `trainercore.build_lr_schedule`) are
  taken from them: their source is cut out with `ast` and compiled unchanged into small
  stand-in classes carrying the attributes they read.

Writes tests/fixtures/torch/cosmic/upstream_loss.json, upstream_metrics.json, upstream_lr.json.
"""
import ast
import enum
import importlib.util
import json
import math
import os
import sys
import types

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'torch', 'cosmic')
SRC = os.environ.get('COSMICTAGGER_SRC')
if not SRC or not os.path.isdir(SRC):
    sys.exit('set COSMICTAGGER_SRC to a directory holding CosmicTagger LossCalculator.py, trainer.py, trainercore.py')

# ---- upstream's loss module, with its enum from a stand-in src.config
LossBalanceScheme = enum.Enum('LossBalanceScheme', 'none light even focal', start=0)
for name in ('src',):
    sys.modules.setdefault(name, types.ModuleType(name))
cfg = types.ModuleType('src.config')
cfg.LossBalanceScheme = LossBalanceScheme
sys.modules['src.config'] = cfg
spec = importlib.util.spec_from_file_location('LossCalculator', os.path.join(SRC, 'LossCalculator.py'))
LOSS = importlib.util.module_from_spec(spec)
spec.loader.exec_module(LOSS)


def method_source(path, cls, name):
    """The source of one method of one class, dedented to module level."""
    text = open(path).read()
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    return ast.unparse(item)
    sys.exit(f'{path}: no {cls}.{name}')


def bind(path, cls, name, env):
    ns = dict(env)
    exec(compile(method_source(path, cls, name), f'{path}:{cls}.{name}', 'exec'), ns)
    return ns[name]


calculate_accuracy = bind(os.path.join(SRC, 'trainer.py'), 'torch_trainer', '_calculate_accuracy', {'torch': torch})
build_lr_schedule = bind(os.path.join(SRC, 'trainercore.py'), 'trainercore', 'build_lr_schedule', {'numpy': np})


class MetricHost:
    # trainercore's class constants, read by _calculate_accuracy as self.NEUTRINO_INDEX / COSMIC_INDEX
    NEUTRINO_INDEX = 2
    COSMIC_INDEX = 1
    _calculate_accuracy = calculate_accuracy


def ns(**kw):
    return types.SimpleNamespace(**kw)


class LrHost:
    build_lr_schedule = build_lr_schedule

    def __init__(self, lr, minibatch, train_size):
        self.args = ns(mode=ns(optimizer=ns(learning_rate=lr)), run=ns(minibatch_size=minibatch))
        self._train_data_size = train_size


def f32list(t):
    # Shortest decimal that reads back as the same float32 (half the file of a double repr).
    return [float(repr(np.float32(v))) for v in t.detach().reshape(-1).tolist()]


def num(v):
    v = float(v)
    return None if math.isnan(v) else v


def planes_to_ours(per_plane):
    """Upstream's per-plane list of [B, ...] → our [B·P, ...] (image n = b·P + p), flattened."""
    return f32list(torch.stack(per_plane, 1).reshape(-1, *per_plane[0].shape[1:]))


# ---------------------------------------------------------------- loss
def loss_case(name, scheme, B, H, W, seed, scale=2.0, absent=None):
    g = torch.Generator().manual_seed(seed)
    logits = [(torch.randn(B, 3, H, W, generator=g) * scale).requires_grad_(True) for _ in range(3)]
    labels = []
    for p in range(3):
        y = torch.multinomial(torch.tensor([0.6, 0.3, 0.1]), B * H * W, replacement=True, generator=g).reshape(B, H, W)
        y[0, 0, 0], y[0, 0, 1], y[0, 0, 2] = 0, 1, 2  # every class present in every plane
        if absent is not None and p == 1:
            y[y == absent] = 0
        labels.append(y)
    case = {'name': name, 'scheme': scheme, 'B': B, 'H': H, 'W': W}
    calc = LOSS.LossCalculator(getattr(LossBalanceScheme, scheme))
    try:
        loss = calc(labels, logits)
        loss.backward()
        case['upstream'] = 'LossCalculator'
    except Exception as err:  # upstream fails here: record why, and compute what it means to do
        case['upstream_error'] = f'{type(err).__name__}: {err}'
        if scheme != 'none':
            case['labels'] = planes_to_ours(labels)
            return case
        for t in logits:
            t.grad = None
        loss = sum(torch.nn.functional.cross_entropy(logits[p], labels[p], reduction='mean') for p in range(3))
        loss.backward()
        case['upstream'] = 'intent: sum over planes of CrossEntropyLoss(reduction=mean)'
    case['logits'] = planes_to_ours(logits)
    case['labels'] = planes_to_ours(labels)
    case['loss'] = float(loss)
    case['grad'] = planes_to_ours([t.grad for t in logits])
    return case


loss_cases = [
    loss_case('light', 'light', 2, 5, 7, 1),
    loss_case('even', 'even', 2, 5, 7, 2),
    loss_case('focal', 'focal', 2, 5, 7, 3),
    loss_case('focal_confident', 'focal', 3, 4, 9, 4, scale=6.0),
    loss_case('none', 'none', 2, 5, 7, 5),
    loss_case('even_absent_neutrino', 'even', 2, 5, 7, 6, absent=2),
]


# ---------------------------------------------------------------- metrics
def metric_batch(B, H, W, seed, empty=(), no_neutrino=()):
    """Logits with distinct fractional parts per class (no argmax ties), right about 70 % of the time."""
    rs = np.random.RandomState(seed)
    logits, labels = [], []
    for p in range(3):
        y = rs.choice(3, size=(B, H, W), p=[0.7, 0.2, 0.1])
        for b, pe in empty:
            if pe == p:
                y[b] = 0
        for b, pe in no_neutrino:
            if pe == p:
                y[b][y[b] == 2] = 1
        z = rs.randint(0, 4, size=(B, 3, H, W)).astype(np.float32) + np.array([0.0, 0.25, 0.5], np.float32)[None, :, None, None]
        hit = rs.random_sample((B, H, W)) < 0.7
        for c in range(3):
            z[:, c][hit & (y == c)] += 4
        for b, pe in no_neutrino:
            if pe == p:
                z[b, 2] -= 10
        logits.append(torch.from_numpy(z))
        labels.append(torch.from_numpy(y).long())
    m = MetricHost()._calculate_accuracy(logits, labels)
    return {
        'B': B,
        'H': H,
        'W': W,
        'logits': planes_to_ours(logits),
        'labels': planes_to_ours(labels),
        'upstream': {k: num(v) for k, v in m.items()},
    }


metric_batches = [
    metric_batch(3, 5, 6, 11, empty=[(2, 1)], no_neutrino=[(0, 0)]),
    metric_batch(2, 7, 5, 12),
    metric_batch(2, 7, 5, 13, no_neutrino=[(1, 2)]),
    metric_batch(1, 7, 5, 14),
]

# ---------------------------------------------------------------- learning rate
def lr_case(lr, minibatch, train_size, steps):
    host = LrHost(lr, minibatch, train_size)
    host.build_lr_schedule()
    calc = [float(host.lr_calculator(k)) for k in range(steps)]
    # What torch's optimiser sees: LambdaLR on a base lr of 1, stepped after each opt.step().
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([w], 1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, host.lr_calculator, last_epoch=-1)
    seen = []
    for _ in range(steps):
        seen.append(opt.param_groups[0]['lr'])
        w.grad = torch.ones(1)
        opt.step()
        sched.step()
    return {'lr': lr, 'minibatch_size': minibatch, 'train_size': train_size, 'lr_calculator': calc, 'optimizer_lr': seen}


lr_cases = [lr_case(3e-4, 2, 10, 140), lr_case(1e-3, 4, 40, 260)]

meta = {'torch': torch.__version__, 'numpy': np.__version__, 'source': 'tools/torch_fixtures/make_cosmic_loss_fixtures.py'}
os.makedirs(OUT, exist_ok=True)
for fname, body in (
    ('upstream_loss.json', {'meta': meta, 'cases': loss_cases}),
    ('upstream_metrics.json', {'meta': meta, 'batches': metric_batches}),
    ('upstream_lr.json', {'meta': meta, 'cases': lr_cases}),
):
    with open(os.path.join(OUT, fname), 'w') as f:
        json.dump(body, f, separators=(',', ':'))
    print(fname, os.path.getsize(os.path.join(OUT, fname)), 'bytes')
for c in loss_cases:
    print(c['name'], c.get('loss'), c.get('upstream_error', ''))
