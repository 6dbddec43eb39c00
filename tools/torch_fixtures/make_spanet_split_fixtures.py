#!/usr/bin/python3
"""numpy's numbers for tests/spanet/split.test.ts: SPANet v2's dataset_randomization.

Upstream (jet_reconstruction_dataset.py compute_limit_index, 46c6805) shuffles the event
indices with numpy.random.RandomState(seed).permutation(E) (MT19937, legacy seeding) when the
seed is > 0, takes [round(lo * E), round(hi * E)) of that order and sorts it. This writes, with
Debian's numpy, the permutations for a few (seed, E) and, for upstream's training / validation
ranges (0, limit * split) and (limit * split, limit), the sorted index sets (long ones as their
length, first and last 10 and sum of i * index[i] mod 2^31).

  /usr/bin/python3 tools/torch_fixtures/make_spanet_split_fixtures.py
Writes tests/fixtures/spanet-split/numpy_permutations.json.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'spanet-split',
                   'numpy_permutations.json')


def summary(a):
    a = [int(x) for x in a]
    return {'n': len(a), 'head': a[:10], 'tail': a[-10:], 'weighted_sum': sum(i * x for i, x in enumerate(a)) % (2 ** 31)}


def limited(E, seed, lo, hi):
    order = np.random.RandomState(seed=seed).permutation(E)
    return np.sort(order[int(round(lo * E)):int(round(hi * E))])


perms = {f'{s}:{n}': np.random.RandomState(seed=s).permutation(n).tolist()
         for s, n in [(1, 1), (3, 2), (1, 10), (42, 40), (12345, 257), (2 ** 32 - 1, 7), (2 ** 31, 300)]}
splits = []
for E, seed, limit, split in [(10000, 1, 1.0, 0.95), (40, 42, 1.0, 0.95), (1000, 7, 0.5, 0.8), (12345, 99, 0.9, 0.75)]:
    t = limit * split
    splits.append({'events': E, 'seed': seed, 'dataset_limit': limit, 'train_validation_split': split,
                   'train': summary(limited(E, seed, 0.0, t)), 'validation': summary(limited(E, seed, t, limit))})
big = summary(np.random.RandomState(seed=2024).permutation(100000))
with open(OUT, 'w') as f:
    json.dump({'numpy': np.__version__, 'permutations': perms, 'permutation_2024_100000': big, 'splits': splits}, f, indent=1)
