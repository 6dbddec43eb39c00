#!/usr/bin/python3
"""Reference numbers for SPANet's balance_particles / balance_jets / balance_classifications and
kl_loss from upstream's own code (Alexanders101/SPANet, a checkout you provide; none of its code
is in this repository), written to tests/fixtures/torch/spanet/balance/:

  weights.json  upstream's JetReconstructionDataset(...).compute_particle_balance(),
                compute_vector_balance() and compute_classification_balance() on the training
                range of SPANet's ttH example file (two ranges) and of the workbench's tt̄ demo
                file, as JetReconstructionBase computes them for training
  loss.json     upstream's JetReconstructionTraining.training_step with those options on: a
                small seeded event set (t1, t2, h with the event symmetry t1 <-> t2) written to a
                temporary HDF5 file, read by upstream's dataset (balance tensors and the batch),
                and made-up float64 network outputs (-inf at tuples with a padded jet, as the
                network's masked_log_softmax); the total, the logged terms and torch's gradient
                of the total with respect to every output (null where torch's is NaN: -inf
                entries of a leaf, which upstream's network masks before its outputs)

Uses the stand-ins of make_spanet_fixtures.py (pytorch-lightning, opt_einsum, numba). Run from
the repository root:
  git --git-dir=<mirror> archive <commit> | tar x -C /tmp/spanet_up
  /usr/bin/python3 tools/torch_fixtures/make_spanet_balance_fixtures.py /tmp/spanet_up <commit> TTH.h5
"""
import json
import os
import sys
import tempfile
from types import SimpleNamespace

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spanet_fixtures as base  # noqa: E402  (stand-ins; reads the same three arguments)

from spanet.options import Options  # noqa: E402
from spanet.dataset.jet_reconstruction_dataset import JetReconstructionDataset  # noqa: E402
from spanet.dataset.types import Batch, Outputs  # noqa: E402
from spanet.network.jet_reconstruction.jet_reconstruction_training import JetReconstructionTraining  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'torch', 'spanet', 'balance')


def short(v):
    # 9 significant digits keep the files small; outputs are rounded before torch sees them
    return float('%.9g' % v)


def nan_null(values):
    return [None if v != v else short(v) for v in values]


def inf_null(values):
    return [None if v == float('-inf') else short(v) for v in values]


def rounded(t):
    return t.detach().apply_(short)


def balance(ds):
    index, particle = ds.compute_particle_balance()
    jets = ds.compute_vector_balance()
    classes = ds.compute_classification_balance()
    info = ds.event_info
    return {
        'train_events': int(ds.num_events),
        'particles': list(info.product_particles.keys()),
        'equivalence_classes': sorted(sorted(sorted(s) for s in c) for c in info.event_equivalence_classes),
        'transpositions': sorted(list(t) for t in info.event_transpositions),
        'particle_index': index.tolist(),
        'particle_weights': particle.tolist(),
        'jet_weights': jets.tolist(),
        'classification_weights': {k: v.tolist() for k, v in classes.items()},
    }


def weight_cases():
    cases = []
    tth_yaml = os.path.join(base.UPSTREAM, 'event_files', 'semi_leptonic_ttH.yaml')
    demo = (os.path.join(ROOT, 'public', 'demo', 'spanet_demo.h5'),
            os.path.join(ROOT, 'tests', 'fixtures', 'spanet-eval', 'ttbar_demo.yaml'))
    for name, (data, yaml), limit, split in [
        ('ttH', (base.DATA, tth_yaml), 1.0, 0.95),
        ('ttH_limit', (base.DATA, tth_yaml), 0.37, 0.8),
        ('ttbar_demo', demo, 1.0, 0.95),
    ]:
        # the training range of JetReconstructionBase.create_datasets without a validation file
        ds = JetReconstructionDataset(data, yaml, limit_index=(0.0, limit * split), partial_events=True)
        cases.append({'name': name, 'dataset_limit': limit, 'train_validation_split': split, **balance(ds)})
    return cases


EVENT_YAML = """INPUTS:
  SEQUENTIAL:
    Source:
      pt: log_normalize
      eta: normalize
  GLOBAL:
EVENT:
  t1: [q1, q2, b]
  t2: [q1, q2, b]
  h: [b1, b2]
PERMUTATIONS:
  EVENT:
    - [t1, t2]
  t1:
    - [q1, q2]
  t2:
    - [q1, q2]
  h:
    - [b1, b2]
REGRESSIONS:
CLASSIFICATIONS:
  EVENT:
    - signal
"""
E, N, B = 40, 8, 7


def synthetic_file(path):
    rng = np.random.RandomState(4)
    njets = rng.randint(6, N + 1, size=E)
    mask = np.arange(N)[None, :] < njets[:, None]
    products = {'t1': ['q1', 'q2', 'b'], 't2': ['q1', 'q2', 'b'], 'h': ['b1', 'b2']}
    targets = {p: {q: np.full(E, -1, dtype=np.int64) for q in qs} for p, qs in products.items()}
    for e in range(E):
        jets = rng.permutation(njets[e])
        used = 0
        for p in rng.permutation(list(products)):
            qs = products[p]
            # unequal presence rates, so the equivalence classes have different counts
            if rng.rand() < {'t1': 0.8, 't2': 0.6, 'h': 0.7}[p] and used + len(qs) <= njets[e]:
                for i, q in enumerate(qs):
                    targets[p][q][e] = jets[used + i]
                used += len(qs)
    signal = rng.choice(3, size=E, p=[0.6, 0.3, 0.1]).astype(np.int64)
    with h5py.File(path, 'w') as f:
        f['INPUTS/Source/MASK'] = mask
        f['INPUTS/Source/pt'] = (20 + 100 * rng.rand(E, N)).astype(np.float32) * mask
        f['INPUTS/Source/eta'] = rng.randn(E, N).astype(np.float32) * mask
        for p, qs in targets.items():
            for q, v in qs.items():
                f[f'TARGETS/{p}/{q}'] = v
        weight = (0.5 + rng.rand(E)).astype(np.float32)
        f['TARGETS/t1/WEIGHT'] = weight
        f['CLASSIFICATIONS/EVENT/signal'] = signal
    return {'num_jets': njets.tolist(), 'signal': signal.tolist(), 'weights': {'t1': weight.tolist()},
            'targets': {p: [[int(v[e]) for v in qs.values()] for e in range(E)] for p, qs in targets.items()}}


def loss_cases():
    tmp = tempfile.mkdtemp()
    yaml, data = os.path.join(tmp, 'event.yaml'), os.path.join(tmp, 'events.h5')
    with open(yaml, 'w') as f:
        f.write(EVENT_YAML)
    events = synthetic_file(data)
    ds = JetReconstructionDataset(data, yaml, limit_index=1.0, partial_events=True)
    # upstream keeps a file's WEIGHT as a numpy array (h5py), which its loss refuses: as a tensor
    for k, (a, m, w) in ds.assignments.items():
        ds.assignments[k] = (a, m, torch.as_tensor(np.asarray(w)))
    weights = balance(ds)
    info = ds.event_info
    names = list(info.product_particles.keys())
    batch = ds[:B]
    g = torch.Generator().manual_seed(17)
    nv = batch.num_vectors
    assignments, detections = [], []
    for name in names:
        k = len(info.product_particles[name])
        logits = torch.randn(B, *([N] * k), generator=g, dtype=torch.float64)
        idx = torch.stack(torch.meshgrid(*[torch.arange(N)] * k, indexing='ij'))
        padded = (idx[None] >= nv.view(B, *([1] * (k + 1)))).any(1)
        logits = logits.masked_fill(padded, float('-inf'))
        if name == 't1':
            # one tuple -inf for t1 only: upstream's nansum then drops that tuple of the pair
            logits[0, 0, 1, 2] = float('-inf')
        logp = torch.log_softmax(logits.reshape(B, -1), -1).reshape(logits.shape)
        assignments.append(rounded(logp).requires_grad_())
        detections.append(rounded(torch.randn(B, generator=g, dtype=torch.float64)).requires_grad_())
    cls_logits = {'EVENT/signal': rounded(torch.randn(B, 3, generator=g, dtype=torch.float64)).requires_grad_()}
    groups = {n: len(np.array(info.product_permutation_groups[n])) for n in names}

    def run(opts):
        options = Options()
        options.update_options(opts)
        net = JetReconstructionTraining.__new__(JetReconstructionTraining)
        torch.nn.Module.__init__(net)
        net.options = options
        net.training_dataset = SimpleNamespace(assignments={n: None for n in names}, regression_types={}, event_info=info)
        net.event_permutation_tensor = torch.nn.Parameter(torch.tensor(np.array(info.event_permutation_group)), False)
        net.branch_decoders = [SimpleNamespace(num_targets=groups[n]) for n in names]
        # as JetReconstructionBase.__init__ (balance_particles needs partial_events)
        net.balance_particles = bool(options.balance_particles and options.partial_events)
        index, particle = ds.compute_particle_balance()
        net.particle_index_tensor, net.particle_weights_tensor = index, particle.double()
        net.balance_jets = bool(options.balance_jets)
        net.jet_weights_tensor = ds.compute_vector_balance().double()
        net.balance_classifications = bool(options.balance_classifications)
        net.classification_weights = {k: v.double() for k, v in ds.compute_classification_balance().items()}
        logged = {}
        net.log = lambda name, value, **kw: logged.__setitem__(name, float(value))
        net.forward = lambda sources: Outputs(assignments, detections, {}, {}, cls_logits)
        leaves = [*assignments, *detections, *cls_logits.values()]
        for t in leaves:
            t.grad = None
        total = JetReconstructionTraining.training_step(net, batch, 0)
        total.backward()
        grad = lambda t: nan_null((t.grad if t.grad is not None else torch.zeros_like(t)).reshape(-1).tolist())
        grads = {
            **{f'assignment.{n}': grad(a) for n, a in zip(names, assignments)},
            **{f'detection.{n}': grad(d) for n, d in zip(names, detections)},
            **{f'classification.{k}': grad(v) for k, v in cls_logits.items()},
        }
        return {'options': opts, 'total': float(total), 'logged': logged, 'grads': grads}

    common = {'partial_events': True, 'assignment_loss_scale': 1.0, 'detection_loss_scale': 1.0,
              'classification_loss_scale': 0.0, 'combine_pair_loss': 'min', 'focal_gamma': 0.0}
    cases = [run({**common, **c}) for c in [
        {'balance_particles': True},
        {'balance_jets': True, 'combine_pair_loss': 'softmin', 'focal_gamma': 1.5},
        {'balance_classifications': True, 'classification_loss_scale': 1.0, 'detection_loss_scale': 0.0},
        {'kl_loss_scale': 0.7, 'detection_loss_scale': 0.5},
        {'balance_particles': True, 'balance_jets': True, 'balance_classifications': True, 'kl_loss_scale': 0.3,
         'classification_loss_scale': 0.5, 'combine_pair_loss': 'mean', 'focal_gamma': 2.0},
        # partial_events false: upstream leaves balance_particles off
        {'balance_particles': True, 'partial_events': False, 'kl_loss_scale': 1.0},
    ]]
    return {
        'event_yaml': EVENT_YAML, 'E': E, 'N': N, 'B': B, 'events': events, 'weights': weights,
        'event_permutations': np.array(info.event_permutation_group).tolist(), 'num_targets': [groups[n] for n in names],
        'batch': {
            'num_vectors': nv.tolist(),
            'targets': {n: {'indices': t.indices.tolist(), 'mask': t.mask.int().tolist(), 'weight': t.weight.double().tolist()}
                        for n, t in zip(names, batch.assignment_targets)},
            'classification': {k: v.tolist() for k, v in batch.classification_targets.items()},
        },
        'outputs': {
            'assignment': {n: inf_null(a.detach().reshape(-1).tolist()) for n, a in zip(names, assignments)},
            'detection': {n: d.detach().tolist() for n, d in zip(names, detections)},
            'classification': {k: v.detach().reshape(-1).tolist() for k, v in cls_logits.items()},
        },
        'cases': cases,
    }


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'weights.json'), 'w') as f:
        json.dump({'upstream_commit': base.COMMIT, 'cases': weight_cases()}, f, indent=1)
    loss = loss_cases()
    with open(os.path.join(OUT, 'loss.json'), 'w') as f:
        json.dump({'upstream_commit': base.COMMIT, **loss}, f)
    print('loss cases:', [c['total'] for c in loss['cases']])
