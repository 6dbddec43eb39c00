#!/usr/bin/python3
"""Reference data for the upstream-equal SPANet network from upstream's own network code.

Runs JetReconstructionNetwork of Alexanders101/SPANet (a checkout you provide; none of its
code is in this repository) with Debian's torch on SPANet's semi-leptonic ttH example file,
with a small, seeded configuration (weights redrawn N(0, 0.3²), norm weights 1 + N(0, 0.3²),
the normaliser's statistics as upstream computes them), in eval mode, and writes under
tests/fixtures/torch/spanet/:

  ttH_small.state.safetensors  the network's state_dict (upstream's names; metadata
                               `state_keys` = torch's key order, `options` = the options JSON,
                               `upstream_commit`)
  ttH_small.io.safetensors     the network's inputs `source.<i>.data` / `source.<i>.mask` (I32)
                               for the first EVENTS events as the dataset gives them, and its
                               outputs: `assignment.<particle>` (log-probabilities, [B, N, ...]),
                               `detection.<particle>` (logits), `regression.<key>`,
                               `classification.<key>` (logits)

Upstream needs pytorch-lightning, opt_einsum and numba, which Debian lacks: the script puts
minimal stand-ins in their place (a LightningModule that is a torch.nn.Module, einsum for
contract_expression, no numba prediction_selection, which forward() does not use) and a stand-in JetReconstructionBase that only builds the
training dataset and registers upstream's `event_permutation_tensor`, as upstream's does.

Run from the repository root:
  git --git-dir=<mirror> archive <commit> | tar x -C /tmp/spanet_up
  /usr/bin/python3 tools/torch_fixtures/make_spanet_fixtures.py /tmp/spanet_up <commit> DATA.h5 [train]
(`train`: only the training-step fixture ttH_train, see train_step_case)
"""
import json
import os
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_transformer_fixtures import write_safetensors  # noqa: E402

UPSTREAM, COMMIT, DATA = sys.argv[1], sys.argv[2], sys.argv[3]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'torch', 'spanet')
EVENTS = 6

OPTIONS = {
    'hidden_dim': 16, 'transformer_dim': 16, 'transformer_dim_scale': 2.0,
    'initial_embedding_dim': 8, 'position_embedding_dim': 4, 'num_embedding_layers': 2,
    'num_encoder_layers': 1, 'num_branch_embedding_layers': 1, 'num_branch_encoder_layers': 1,
    'num_jet_embedding_layers': 1, 'num_jet_encoder_layers': 1, 'num_detector_layers': 1,
    'num_regression_layers': 1, 'num_classification_layers': 1, 'split_symmetric_attention': True,
    'num_attention_heads': 2, 'dropout': 0.0, 'partial_events': True, 'balance_particles': False,
}

# The other architecture paths upstream's factories take, each on the same small base:
# name -> (option overrides, events kept). ttH_small above is upstream's default path.
VARIANTS = {
    'ttH_basic': ({'linear_block_type': 'Basic', 'transformer_type': 'Standard', 'masking': 'Multiplicative',
                   'linear_activation': 'ReLU', 'transformer_activation': 'relu'}, 3),
    # (normalization 'None' is not a path: upstream calls nn.Identity with the mask and fails)
    'ttH_resnet': ({'linear_block_type': 'Resnet', 'transformer_type': 'NormFirst', 'linear_activation': 'ELU'}, 3),
    'ttH_gated': ({'linear_block_type': 'Gated', 'skip_connections': False, 'initial_embedding_skip_connections': False,
                   'num_encoder_layers': 2}, 3),
    # batch norms: their running statistics are redrawn too (see main), so eval mode uses them
    'ttH_batchnorm': ({'normalization': 'BatchNorm', 'linear_activation': 'PReLU'}, 3),
    'ttH_maskedbn': ({'normalization': 'MaskedBatchNorm', 'linear_activation': 'CELU', 'linear_block_type': 'Basic'}, 3),
    # padded vectors stay in the blocks and among the assignment tuples; the attention still skips them
    'ttH_nomask': ({'mask_sequence_vectors': False}, 3),
}


def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def package(name):
    m = stub(name)
    m.__path__ = [os.path.join(UPSTREAM, *name.split('.'))]
    return m


class LightningStandIn(torch.nn.Module):
    def save_hyperparameters(self, *args, **kwargs):
        pass


def contract_expression(subscripts, *shapes, **kwargs):
    return lambda *operands, **kw: torch.einsum(subscripts, *operands)


stub('pytorch_lightning', LightningModule=LightningStandIn)
stub('opt_einsum', contract_expression=contract_expression)
sys.path.insert(0, UPSTREAM)
# packages without their __init__ (which pull in the training code and its dependencies)
for name in ['spanet', 'spanet.dataset', 'spanet.network', 'spanet.network.jet_reconstruction']:
    package(name)

from spanet.options import Options  # noqa: E402
from spanet.dataset.jet_reconstruction_dataset import JetReconstructionDataset  # noqa: E402


class JetReconstructionBase(LightningStandIn):
    def __init__(self, options):
        super().__init__()
        self.options = options
        self.training_dataset = JetReconstructionDataset(
            options.training_file, options.event_info_file, limit_index=1.0, partial_events=options.partial_events)
        group = np.array(self.event_info.event_permutation_group)
        self.event_permutation_tensor = torch.nn.Parameter(torch.from_numpy(group), False)

    @property
    def event_info(self):
        return self.training_dataset.event_info


# the numba assignment extraction is not part of forward()
stub('spanet.network.prediction_selection', extract_predictions=None)
stub('spanet.network.jet_reconstruction.jet_reconstruction_base', JetReconstructionBase=JetReconstructionBase)
from spanet.network.jet_reconstruction.jet_reconstruction_network import JetReconstructionNetwork  # noqa: E402


def main(fixture='ttH_small', opts=OPTIONS, events=EVENTS):
    os.makedirs(OUT, exist_ok=True)
    options = Options(os.path.join(UPSTREAM, 'event_files', 'semi_leptonic_ttH.yaml'), DATA)
    options.update_options(opts)
    torch.manual_seed(7)
    net = JetReconstructionNetwork(options)
    # upstream's initialisation leaves gates and summary vectors near zero, which makes every
    # event's output nearly the same; spread the weights so each path changes the outputs
    with torch.no_grad():
        for name, p in net.named_parameters():
            if 'normalizer' in name or not p.dtype.is_floating_point:
                continue
            scale = 1.0 if name.endswith('norm.weight') or name.endswith('normalization.weight') else 0.0
            p.copy_(scale + 0.3 * torch.randn_like(p))
        if 'BatchNorm' in str(opts.get('normalization', '')):
            for name, b in net.named_buffers():
                if name.endswith('running_mean'):
                    b.copy_(0.3 * torch.randn_like(b))
                elif name.endswith('running_var'):
                    b.copy_(0.5 + torch.rand_like(b))
    net.eval()
    state = net.state_dict()
    batch = net.training_dataset[:events]
    with torch.no_grad():
        out = net(batch.sources)
    io = {}
    for i, (data, mask) in enumerate(batch.sources):
        io[f'source.{i}.data'] = data.float()
        io[f'source.{i}.mask'] = mask.to(torch.int32)
    names = list(net.event_info.product_particles.keys())
    for name, a, d in zip(names, out.assignments, out.detections):
        io[f'assignment.{name}'] = a.float()
        io[f'detection.{name}'] = d.float()
    for k, v in out.regressions.items():
        io[f'regression.{k}'] = v.float()
    for k, v in out.classifications.items():
        io[f'classification.{k}'] = v.float()
    meta = {'upstream_commit': COMMIT, 'options': json.dumps(opts), 'events': str(events)}
    write_safetensors(os.path.join(OUT, f'{fixture}.state.safetensors'),
                      {k: v for k, v in state.items()}, {**meta, 'state_keys': json.dumps(list(state.keys()))})
    write_safetensors(os.path.join(OUT, f'{fixture}.io.safetensors'), io, meta)
    print(f'{len(state)} state entries, {sum(v.numel() for v in state.values())} values; io: {sorted(io)}')


TRAIN_EVENTS = 8


def train_step_case():
    """One training step of upstream's network in train mode: training_step's loss and the
    gradient of every parameter (jet_reconstruction_training.py), with every loss scale 1.

    ttH_train.state.safetensors  the weights before the step (as main: redrawn, seeded)
    ttH_train.io.safetensors     `source.<i>.data` / `.mask`, the targets as the dataset gives
                                 them (`target.<p>.indices` I32 [B, k], `.mask` I32, `.weight`),
                                 `regression_target.<key>` (NaN = none), `classification_target.<key>`
                                 (I32), `loss` (float64 as float32) and `grad.<parameter>` per parameter
    The training class's base is the stand-in above; the batch is the first TRAIN_EVENTS events.
    """
    from spanet.network.jet_reconstruction.jet_reconstruction_training import JetReconstructionTraining
    opts = {**OPTIONS, 'assignment_loss_scale': 1.0, 'detection_loss_scale': 1.0, 'regression_loss_scale': 1.0,
            'classification_loss_scale': 1.0, 'dropout': 0.0}
    options = Options(os.path.join(UPSTREAM, 'event_files', 'semi_leptonic_ttH.yaml'), DATA)
    options.update_options(opts)
    torch.manual_seed(13)
    net = JetReconstructionTraining(options)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if 'normalizer' in name or not p.dtype.is_floating_point or not p.requires_grad:
                continue
            scale = 1.0 if name.endswith('norm.weight') or name.endswith('normalization.weight') else 0.0
            p.copy_(scale + 0.3 * torch.randn_like(p))
    net.balance_particles = net.balance_jets = net.balance_classifications = False
    net.log = lambda *a, **k: None
    state = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    batch = net.training_dataset[:TRAIN_EVENTS]
    loss = net.training_step(batch, 0)
    loss.backward()
    io = {'loss': loss.detach().float().reshape(1)}
    for i, (data, mask) in enumerate(batch.sources):
        io[f'source.{i}.data'] = data.float()
        io[f'source.{i}.mask'] = mask.to(torch.int32)
    for name, t in zip(net.event_info.product_particles.keys(), batch.assignment_targets):
        io[f'target.{name}.indices'] = t.indices.to(torch.int32)
        io[f'target.{name}.mask'] = t.mask.to(torch.int32)
        io[f'target.{name}.weight'] = t.weight.float()
    for k, v in batch.regression_targets.items():
        io[f'regression_target.{k}'] = v.float()
    for k, v in batch.classification_targets.items():
        io[f'classification_target.{k}'] = v.to(torch.int32)
    for name, p in net.named_parameters():
        if p.requires_grad:
            io[f'grad.{name}'] = (p.grad if p.grad is not None else torch.zeros_like(p)).float()
    meta = {'upstream_commit': COMMIT, 'options': json.dumps(opts), 'events': str(TRAIN_EVENTS)}
    write_safetensors(os.path.join(OUT, 'ttH_train.state.safetensors'), state,
                      {**meta, 'state_keys': json.dumps(list(state.keys()))})
    write_safetensors(os.path.join(OUT, 'ttH_train.io.safetensors'), io, meta)
    print('train step: loss', float(loss), 'grads', sum(1 for k in io if k.startswith('grad.')))


def loss_cases():
    """Upstream's training_step loss (jet_reconstruction_training.py) on made-up network outputs.

    The network is replaced by fixed outputs (float64, so the reference can be compared
    tightly): 7 events, 5 jets, particles t1 (3 products), t2 (3), h (2), the event group
    {id, t1<->t2}, partial events with per-event weights, NaN regression targets of the three
    regression types and ignored (-1) classification targets.
    """
    from types import MethodType, SimpleNamespace
    from spanet.network.jet_reconstruction.jet_reconstruction_training import JetReconstructionTraining
    from spanet.dataset.types import AssignmentTargets, Batch, Outputs
    g = torch.Generator().manual_seed(11)
    B, N = 7, 5
    ks = {'t1': 3, 't2': 3, 'h': 2}
    groups = {'t1': 2, 't2': 2, 'h': 2}
    perms = [[0, 1, 2], [1, 0, 2]]
    assignments, detections, targets, raw = [], [], [], {}
    for name, k in ks.items():
        logits = torch.randn(B, N ** k, generator=g, dtype=torch.float64)
        logp = torch.log_softmax(logits, -1).reshape(B, *([N] * k))
        idx = torch.stack([torch.randperm(N, generator=g)[:k] for _ in range(B)])
        mask = torch.rand(B, generator=g) > 0.3
        idx[~mask, 0] = -1
        weight = 0.5 + torch.rand(B, generator=g, dtype=torch.float64)
        det = torch.randn(B, generator=g, dtype=torch.float64)
        assignments.append(logp); detections.append(det)
        targets.append(AssignmentTargets(idx, mask, weight))
        raw[name] = {'k': k, 'num_targets': groups[name], 'logp': logp.reshape(B, -1).tolist(), 'indices': idx.tolist(),
                     'mask': mask.int().tolist(), 'weight': weight.tolist(), 'detection': det.tolist()}
    reg_types = {'EVENT/a': 'gaussian', 'EVENT/b': 'laplacian', 'EVENT/c': 'log_gaussian'}
    reg_pred, reg_target, reg_std = {}, {}, {}
    for i, key in enumerate(reg_types):
        reg_pred[key] = torch.randn(B, generator=g, dtype=torch.float64)
        t = torch.randn(B, generator=g, dtype=torch.float64)
        t[i::3] = float('nan')
        reg_target[key] = t
        reg_std[key] = torch.tensor(0.5 + i, dtype=torch.float64)
    cls_logits = {'EVENT/signal': torch.randn(B, 3, generator=g, dtype=torch.float64)}
    cls_target = {'EVENT/signal': torch.tensor([0, 2, -1, 1, 1, -1, 0])}

    def run(opts):
        options = Options()
        options.update_options(opts)
        net = JetReconstructionTraining.__new__(JetReconstructionTraining)
        torch.nn.Module.__init__(net)
        net.options = options
        net.event_permutation_tensor = torch.nn.Parameter(torch.tensor(perms), False)
        net.branch_decoders = [SimpleNamespace(num_targets=groups[n]) for n in ks]
        net.training_dataset = SimpleNamespace(assignments={n: None for n in ks}, regression_types=reg_types)
        net.regression_decoder = SimpleNamespace(networks={k: SimpleNamespace(mean=0.0, std=reg_std[k]) for k in reg_types})
        net.balance_particles = net.balance_jets = net.balance_classifications = False
        logged = {}
        net.log = lambda name, value, **kw: logged.__setitem__(name, float(value))
        net.forward = lambda sources: Outputs(assignments, detections, {}, reg_pred, cls_logits)
        batch = Batch((), torch.full((B,), N), tuple(targets), reg_target, cls_target)
        total = JetReconstructionTraining.training_step(net, batch, 0)
        return {'options': opts, 'total': float(total), 'logged': logged}

    cases = [run(c) for c in [
        {'combine_pair_loss': 'min', 'focal_gamma': 0.0, 'assignment_loss_scale': 1.0, 'detection_loss_scale': 1.0,
         'regression_loss_scale': 1.0, 'classification_loss_scale': 1.0},
        {'combine_pair_loss': 'softmin', 'focal_gamma': 2.0, 'assignment_loss_scale': 0.7, 'detection_loss_scale': 0.3,
         'regression_loss_scale': 2.0, 'classification_loss_scale': 0.5},
        {'combine_pair_loss': 'mean', 'focal_gamma': 0.5, 'assignment_loss_scale': 1.0, 'detection_loss_scale': 0.0,
         'regression_loss_scale': 0.0, 'classification_loss_scale': 1.0},
    ]]
    data = {'upstream_commit': COMMIT, 'B': B, 'N': N, 'event_permutations': perms, 'particles': raw,
            'regressions': {k: {'kind': reg_types[k], 'pred': reg_pred[k].tolist(), 'std': float(reg_std[k]),
                                'target': [None if v != v else v for v in reg_target[k].tolist()]} for k in reg_types},
            'classifications': {k: {'logits': cls_logits[k].tolist(), 'target': cls_target[k].tolist()} for k in cls_logits},
            'cases': cases}
    with open(os.path.join(OUT, 'loss_cases.json'), 'w') as f:
        json.dump(data, f, indent=1)
    print('loss cases:', [c['total'] for c in cases])


def schedule_cases():
    """lr multipliers of upstream's schedules (learning_rate_schedules.py) through torch's LambdaLR."""
    from spanet.network import learning_rate_schedules as lrs
    cases = []
    for warmup, total, cycles in [(3, 20, 0), (0, 12, 0), (2, 17, 1), (4, 31, 3), (5, 23, 5)]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        if cycles < 1:
            sched = lrs.get_linear_schedule_with_warmup(opt, num_warmup_steps=warmup, num_training_steps=total)
        else:
            sched = lrs.get_cosine_with_hard_restarts_schedule_with_warmup(
                opt, num_warmup_steps=warmup, num_training_steps=total, num_cycles=cycles)
        factors = []
        for _ in range(total + 3):
            factors.append(opt.param_groups[0]['lr'])
            opt.step()
            sched.step()
        cases.append({'warmup': warmup, 'total': total, 'cycles': cycles, 'factors': factors})
    with open(os.path.join(OUT, 'schedules.json'), 'w') as f:
        json.dump({'upstream_commit': COMMIT, 'cases': cases}, f, indent=1)


def evaluation_cases():
    """Upstream's spanet.test tables (evaluate_predictions) on made-up predictions.

    For upstream's two event files: E events with 6..11 jets, each particle present with
    probability 0.8, predictions equal to the truth (sometimes with its symmetric partner's
    jets or the product order swapped) or random jets.
    """
    stub('spanet.evaluation', evaluate_on_test_dataset=None, load_model=None)
    from spanet.test import evaluate_predictions
    from spanet.dataset.event_info import EventInfo
    rng = np.random.RandomState(5)
    out = []
    for event_file, E in [('semi_leptonic_ttH.yaml', 300), ('full_hadronic_ttbar.yaml', 300)]:
        path = os.path.join(UPSTREAM, 'event_files', event_file)
        info = EventInfo.read_from_yaml(path)
        ks = [len(p) for p in info.product_particles.values()]
        num_vectors = rng.randint(6, 12, size=E)
        targets = [np.full((E, k), -1, dtype=np.int64) for k in ks]
        predictions = [np.zeros((E, k), dtype=np.int64) for k in ks]
        masks = [np.zeros(E, dtype=bool) for _ in ks]
        for e in range(E):
            jets = rng.permutation(num_vectors[e])
            used = 0
            for i, k in enumerate(ks):
                if rng.rand() < 0.8 and used + k <= num_vectors[e]:
                    targets[i][e] = jets[used:used + k]
                    masks[i][e] = True
                used += k
            for i, k in enumerate(ks):
                r = rng.rand()
                if r < 0.5 and masks[i][e]:
                    predictions[i][e] = targets[i][e][::-1] if rng.rand() < 0.3 else targets[i][e]
                else:
                    predictions[i][e] = rng.choice(num_vectors[e], size=k, replace=False)
        # swap the two tops' predictions in some ttbar events (the event symmetry must absorb it)
        if len(ks) == 2 and ks[0] == ks[1]:
            swap = rng.rand(E) < 0.3
            predictions[0][swap], predictions[1][swap] = predictions[1][swap].copy(), predictions[0][swap].copy()
        results, jet_limits, clusters = evaluate_predictions(
            [p.copy() for p in predictions], num_vectors, [t.copy() for t in targets], [m.copy() for m in masks], path, 2)
        out.append({
            'event_file': event_file, 'num_vectors': num_vectors.tolist(),
            'targets': [t.tolist() for t in targets], 'predictions': [p.tolist() for p in predictions],
            'masks': [m.astype(int).tolist() for m in masks],
            'jet_limits': ['Full' if j is None else j for j in jet_limits],
            'clusters': [[c[0], list(c[1]), list(map(int, c[2]))] for c in clusters],
            'results': {('Full' if k is None else k): {kk: (None if vv != vv else float(vv)) for kk, vv in v.items()} for k, v in results.items()},
        })
    with open(os.path.join(OUT, 'evaluation_cases.json'), 'w') as f:
        json.dump({'upstream_commit': COMMIT, 'lines': 2, 'cases': out}, f)


if __name__ == '__main__':
    if sys.argv[4:] == ['train']:  # only the training-step fixture
        train_step_case()
        sys.exit(0)
    main()
    for variant, (overrides, kept) in VARIANTS.items():
        main(variant, {**OPTIONS, **overrides}, kept)
    train_step_case()
    loss_cases()
    schedule_cases()
    evaluation_cases()
