#!/usr/bin/python3
"""The learning rate torch's optimiser sees at each step of a SPANet v2 run, for
tests/spanet/scheduleApplied.test.ts.

For SPANet's two example options files (tests/fixtures/spanet-upstream/options_files) with the
test's overrides (smaller batch and fewer epochs), counts the steps as upstream's
JetReconstructionBase does (training events = round(dataset_limit * train_validation_split * E)
of a file of E events, drop_last batches per epoch, warm-up = round(steps per epoch * warm-up
epochs)), builds upstream's optimiser (torch.optim.<optimizer>, two parameter groups:
weight_decay = l2_penalty and 0) and upstream's LambdaLR schedule from its own
learning_rate_schedules.py (a checkout you provide; none of its code is in this repository),
and records param_groups[g]['lr'] before every optimizer.step(), the schedule stepped once per
step as Lightning's 'interval': 'step'.

Run from the repository root:
  git --git-dir=<mirror> archive <commit> | tar x -C /tmp/spanet_up
  /usr/bin/python3 tools/torch_fixtures/make_spanet_schedule_applied_fixtures.py /tmp/spanet_up <commit>
Writes tests/fixtures/torch/spanet/schedule_applied.json.
"""
import importlib.util
import json
import os
import sys

import torch

UPSTREAM, COMMIT = sys.argv[1], sys.argv[2]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'torch', 'spanet', 'schedule_applied.json')

# name -> (options file, overrides, events in the file): the test's runs
CASES = {
    'full_hadronic_ttbar': ('full_hadronic_ttbar/example.json', {'batch_size': 16, 'epochs': 2}, 64),
    'semi_leptonic_ttH': ('semi_leptonic_ttH/example.json', {'batch_size': 8, 'epochs': 4}, 24),
}
EXTRA_STEPS = 1  # past the schedule's end, where upstream's lr is 0


def load_schedules():
    path = os.path.join(UPSTREAM, 'spanet', 'network', 'learning_rate_schedules.py')
    spec = importlib.util.spec_from_file_location('learning_rate_schedules', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    lrs = load_schedules()
    out = {'upstream_commit': COMMIT, 'cases': {}}
    for name, (file, overrides, events) in CASES.items():
        with open(os.path.join(ROOT, 'tests', 'fixtures', 'spanet-upstream', 'options_files', file)) as f:
            o = {**json.load(f), **overrides}
        train_events = int(round(o['dataset_limit'] * o['train_validation_split'] * events))
        steps_per_epoch = train_events // (o['batch_size'] * max(1, o['num_gpu']))
        total = steps_per_epoch * o['epochs']
        warmup = int(round(steps_per_epoch * o['learning_rate_warmup_epochs']))
        decay, no_decay = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
        opt = getattr(torch.optim, o['optimizer'])(
            [{'params': [decay], 'weight_decay': o['l2_penalty']}, {'params': [no_decay], 'weight_decay': 0.0}],
            lr=o['learning_rate'])
        if o['learning_rate_cycles'] < 1:
            sched = lrs.get_linear_schedule_with_warmup(opt, num_warmup_steps=warmup, num_training_steps=total)
        else:
            sched = lrs.get_cosine_with_hard_restarts_schedule_with_warmup(
                opt, num_warmup_steps=warmup, num_training_steps=total, num_cycles=o['learning_rate_cycles'])
        lr, wd = [], [g['weight_decay'] for g in opt.param_groups]
        for _ in range(total + EXTRA_STEPS):
            lr.append([g['lr'] for g in opt.param_groups])
            decay.grad = torch.ones(2)
            no_decay.grad = torch.ones(2)
            opt.step()
            sched.step()
        out['cases'][name] = {
            'options_file': file, 'overrides': overrides, 'events': events, 'train_events': train_events,
            'steps_per_epoch': steps_per_epoch, 'total_steps': total, 'warmup_steps': warmup,
            'optimizer': type(opt).__name__, 'weight_decay': wd, 'lr': lr,
        }
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1)
    print({k: (c['warmup_steps'], c['total_steps']) for k, c in out['cases'].items()})


main()
