#!/usr/bin/python3
"""Reference numbers for physml's SPANet evaluation report, from upstream's own evaluation code.

For SPANet's semi-leptonic ttH example file and the workbench's tt̄ demo file
(public/demo/spanet_demo.h5), upstream's JetReconstructionDataset reads the targets, masks,
weights and vector counts with the event files beside this fixture
(tests/fixtures/spanet-eval/*.yaml), and made-up events with an S3 event group and a
two-cycle product symmetry (s3_synthetic.yaml, targets and random weights in the fixture); seeded made-up predictions (jets equal to the truth,
reversed, swapped between t1 and t2, or random; detection probabilities k/64 that lean towards
the truth) go through

  spanet/test.py evaluate_predictions           the spanet.test tables (bins, event types, purities)
  JetReconstructionValidation.validation_step   jet/accuracy_i_of_j, particle/accuracy_i_of_j,
                                                particle/{accuracy,sensitivity,specificity,f_score},
                                                validation_accuracy, validation_average_jet_accuracy
                                                (one batch = the whole file; predict() returns the
                                                made-up predictions)

and tests/fixtures/spanet-eval/<case>.tables.txt gets what spanet.test prints for those tables,
<case>.json the predictions, upstream's num_vectors and
masks (to check our reader against), the order upstream iterates its event group in and the
numbers (NaN as null).

Upstream's event group is a Python set of sympy permutations, so its order depends on the
string hash seed; the first best permutation decides the permuted detection masks. The script
runs with PYTHONHASHSEED=0 (identity first, as the workbench orders groups) and records the order.

Upstream needs pytorch-lightning, opt_einsum and numba, which Debian lacks: minimal stand-ins
as in make_spanet_fixtures.py. scikit-learn comes from Debian (python3-sklearn, 1.2.1).

Run from the repository root:
  git --git-dir=<mirror> archive <commit> spanet | tar x -C /tmp/spanet_up
  PYTHONHASHSEED=0 /usr/bin/python3 tools/torch_fixtures/make_spanet_eval_fixtures.py /tmp/spanet_up <commit> TTH_EXAMPLE.h5
"""
import contextlib
import io
import json
import os
import sys
import types

import numpy as np
import torch

if os.environ.get('PYTHONHASHSEED') != '0':
    sys.exit('run with PYTHONHASHSEED=0 (upstream iterates its permutation group in hash order)')

UPSTREAM, COMMIT, TTH = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'spanet-eval')
CASES = [
    ('ttH', TTH, 'ttH.yaml', 11),
    ('ttbar_demo', os.path.join(ROOT, 'public', 'demo', 'spanet_demo.h5'), 'ttbar_demo.yaml', 12),
]


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
    pass


stub('pytorch_lightning', LightningModule=LightningStandIn)
stub('opt_einsum', contract_expression=None)
sys.path.insert(0, UPSTREAM)
for name in ['spanet', 'spanet.dataset', 'spanet.network', 'spanet.network.jet_reconstruction']:
    package(name)
stub('spanet.network.prediction_selection', extract_predictions=None)
stub('spanet.network.jet_reconstruction.jet_reconstruction_base', JetReconstructionBase=LightningStandIn)
stub('spanet.evaluation', evaluate_on_test_dataset=None, load_model=None)

from spanet.dataset.evaluator import SymmetricEvaluator  # noqa: E402
from spanet.dataset.jet_reconstruction_dataset import JetReconstructionDataset  # noqa: E402
from spanet.network.jet_reconstruction.jet_reconstruction_validation import JetReconstructionValidation  # noqa: E402
from spanet.network.utilities.group_theory import complete_indices  # noqa: E402
import spanet.test as upstream_test  # noqa: E402
from spanet.test import display_table, evaluate_predictions  # noqa: E402


def printed_tables(results, jet_limits, clusters):
    """What spanet.test prints (display_table writes through sys.stdout as imported, and print)."""
    buf = io.StringIO()
    saved = upstream_test.stdout
    upstream_test.stdout = buf
    try:
        with contextlib.redirect_stdout(buf):
            display_table(results, jet_limits, clusters)
    finally:
        upstream_test.stdout = saved
    return buf.getvalue()


def made_up_predictions(rng, num_jets, targets, masks, swap_pairs):
    """Per particle [E, k] jets and [P, E] detection probabilities k/64 (0.5 included)."""
    E = len(num_jets)
    predictions = []
    for t, m in zip(targets, masks):
        k = t.shape[1]
        p = np.zeros((E, k), dtype=np.int64)
        for e in range(E):
            r = rng.rand()
            if r < 0.55 and (t[e] >= 0).all():
                p[e] = t[e][::-1] if rng.rand() < 0.25 else t[e]
            else:
                p[e] = rng.choice(max(num_jets[e], k), size=k, replace=False)
        predictions.append(p)
    if swap_pairs:
        swap = rng.rand(E) < 0.3
        predictions[0][swap], predictions[1][swap] = predictions[1][swap].copy(), predictions[0][swap].copy()
    lean = np.stack([m.astype(float) for m in masks]) * 0.3
    scores = np.round(64 * np.clip(lean + 0.7 * rng.rand(len(masks), E), 0, 1)) / 64
    return predictions, scores


class ValidationStandIn:
    """What validation_step reads from self: predict, the evaluator, the decoders' permutation indices, compute_metrics."""

    def __init__(self, info, predictions, scores):
        self.evaluator = SymmetricEvaluator(info)
        self.event_permutation_tensor = torch.from_numpy(np.array(info.event_permutation_group))
        self.branch_decoders = [
            types.SimpleNamespace(permutation_indices=complete_indices(degree, symmetries))
            for degree, symmetries in info.product_symmetries.values()
        ]
        self.particle_metrics = JetReconstructionValidation.particle_metrics.fget(self)
        self.particle_score_metrics = {}
        self.logger = types.SimpleNamespace(experiment=types.SimpleNamespace(add_histogram=lambda *a, **k: None))
        self.global_step = 0
        self._out = (predictions, scores)

    def predict(self, sources):
        p, s = self._out
        return [x.copy() for x in p], s.copy(), {}, {}

    def log(self, *args, **kwargs):
        pass

    def compute_metrics(self, *args):
        return JetReconstructionValidation.compute_metrics(self, *args)


def synthetic_case(seed=13, E=600):
    """Made-up events for s3_synthetic.yaml: present with probability 0.75, weights 0 / 0.5 / 1 / 2,
    predictions right, with q1/q2 or a/b exchanged, the Ws shuffled, or random; no file."""
    yaml = os.path.join(OUT, 's3_synthetic.yaml')
    from spanet.dataset.event_info import EventInfo
    info = EventInfo.read_from_yaml(yaml)
    ks = [len(p) for p in info.product_particles.values()]
    rng = np.random.RandomState(seed)
    num_vectors = rng.randint(10, 15, size=E)
    targets = [np.full((E, k), -1, dtype=np.int64) for k in ks]
    masks = [np.zeros(E, dtype=bool) for _ in ks]
    weights = [rng.choice([0.0, 0.5, 1.0, 2.0], size=E) for _ in ks]
    for e in range(E):
        jets = rng.permutation(num_vectors[e])
        used = 0
        for i, k in enumerate(ks):
            if rng.rand() < 0.75:
                targets[i][e] = jets[used:used + k]
                masks[i][e] = True
            used += k
    predictions = []
    for t, k in zip(targets, ks):
        p = np.zeros((E, k), dtype=np.int64)
        for e in range(E):
            r = rng.rand()
            if r < 0.6 and (t[e] >= 0).all():
                p[e] = t[e]
                if rng.rand() < 0.3:
                    p[e][[0, 1]] = p[e][[1, 0]]
            else:
                p[e] = rng.choice(num_vectors[e], size=k, replace=False)
        predictions.append(p)
    for e in range(E):
        if rng.rand() < 0.5:
            order = rng.permutation(3)
            rows = [predictions[i][e].copy() for i in order]
            for i in range(3):
                predictions[i][e] = rows[i]
    scores = np.round(64 * np.clip(np.stack(masks).astype(float) * 0.3 + 0.7 * rng.rand(len(ks), E), 0, 1)) / 64
    return info, yaml, num_vectors, targets, masks, weights, predictions, scores


def number(v):
    v = float(v)
    return None if v != v else v


def main():
    for case, h5, yaml_name, seed in CASES + [('s3_synthetic', None, 's3_synthetic.yaml', 13)]:
        yaml = os.path.join(OUT, yaml_name)
        if h5 is None:
            info, yaml, num_vectors, targets, masks, weights, predictions, scores = synthetic_case(seed)
        else:
            ds = JetReconstructionDataset(h5, yaml, limit_index=1.0, partial_events=True)
            info = ds.event_info
            targets = [a[0].numpy() for a in ds.assignments.values()]
            masks = [a[1].numpy() for a in ds.assignments.values()]
            weights = [a[2].numpy() for a in ds.assignments.values()]
            num_vectors = ds.num_vectors.numpy()
            num_jets = list(ds.sources.values())[0].num_vectors().numpy()
            rng = np.random.RandomState(seed)
            predictions, scores = made_up_predictions(rng, num_jets, targets, masks, case == 'ttbar_demo')
        names = list(info.product_particles.keys())

        results, jet_limits, clusters = evaluate_predictions(
            [p.copy() for p in predictions], num_vectors, [t.copy() for t in targets], [m.copy() for m in masks], yaml, 2)
        fake = ValidationStandIn(info, predictions, scores)
        batch = (None, torch.from_numpy(num_vectors),
                 [(torch.from_numpy(t), torch.from_numpy(m), torch.from_numpy(w)) for t, m, w in zip(targets, masks, weights)],
                 {}, {})
        validation = JetReconstructionValidation.validation_step(fake, batch, 0)

        out = {
            'upstream_commit': COMMIT,
            'file': None if h5 is None else os.path.basename(h5),
            'event_file': yaml_name,
            'seed': seed,
            'lines': 2,
            'particles': names,
            'event_permutation_group': [list(map(int, p)) for p in info.event_permutation_group],
            'num_vectors': num_vectors.tolist(),
            'masks': [m.astype(int).tolist() for m in masks],
            'predictions': [p.tolist() for p in predictions],
            **({} if h5 else {'targets': [t.tolist() for t in targets], 'weights': [w.tolist() for w in weights]}),
            'detection_probabilities': scores.tolist(),
            'jet_limits': ['Full' if j is None else j for j in jet_limits],
            'clusters': [[c[0], list(c[1]), list(map(int, c[2]))] for c in clusters],
            'tables': {('Full' if k is None else k): {kk: number(vv) for kk, vv in v.items()} for k, v in results.items()},
            'validation': {k: number(v) for k, v in validation.items()},
        }
        with open(os.path.join(OUT, f'{case}.tables.txt'), 'w') as f:
            f.write(printed_tables(results, jet_limits, clusters))
        with open(os.path.join(OUT, f'{case}.json'), 'w') as f:
            json.dump(out, f, separators=(',', ':'))
        print(case, len(num_vectors), 'events', {k: v for k, v in out['validation'].items() if not k.startswith('Purity')})


if __name__ == '__main__':
    main()
