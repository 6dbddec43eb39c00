"""Optimiser trajectories from torch for tests/engine/optim.test.ts.

Run from the repository root with Debian's torch (1.13):
    /usr/bin/python3 tools/torch_fixtures/make_optim_fixtures.py
Writes tests/fixtures/torch/optim/trajectories.json: a seeded tiny MLP (3 -> 4 tanh -> 2, the
workbench's Mlp names), its data, and for each case the lr, the pre-clip gradient norm, the loss
and every parameter after each optimizer.step(); plus the lr sequences of torch's schedulers.
"""
import json
import math
import os

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)

X = torch.randn(8, 3)
Y = torch.randn(8, 2)


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList([torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)])

    def forward(self, x):
        return self.layers[1](torch.tanh(self.layers[0](x)))


INIT = Mlp()
INIT_STATE = {k: v.detach().clone() for k, v in INIT.state_dict().items()}


def warmup_linear(W, T, r):
    return lambda k: k / W if k < W else r + (1 - r) * max(0.0, (T - k) / (T - W))


def warmup_cosine(W, T, r):
    def f(k):
        if k < W:
            return k / W
        p = min(1.0, (k - W) / (T - W))
        return r + (1 - r) * 0.5 * (1 + math.cos(math.pi * p))
    return f


def groups(model, wd):
    decay = [p for n, p in model.named_parameters() if not n.endswith('.bias')]
    no_decay = [p for n, p in model.named_parameters() if n.endswith('.bias')]
    return [{'params': decay, 'weight_decay': wd}, {'params': no_decay, 'weight_decay': 0.0}]


def make_scheduler(opt, cfg, steps):
    s = cfg['schedule']
    T = cfg.get('decay_steps') or steps
    if s == 'constant':
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1.0)
    if s == 'step':
        return torch.optim.lr_scheduler.StepLR(opt, step_size=cfg['step_size'], gamma=cfg['gamma'])
    if s == 'one_cycle':
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg['lr'], total_steps=T, cycle_momentum=False)
    f = warmup_linear if s == 'warmup_linear' else warmup_cosine
    return torch.optim.lr_scheduler.LambdaLR(opt, f(cfg['warmup_steps'], T, cfg.get('min_lr_ratio', 0.0)))


def run_case(cfg, steps):
    model = Mlp()
    model.load_state_dict(INIT_STATE)
    params = groups(model, cfg.get('weight_decay', 0.0))
    name = cfg['name']
    if name == 'adamw':
        opt = torch.optim.AdamW(params, lr=cfg['lr'], betas=(cfg['beta1'], cfg['beta2']), eps=cfg['eps'])
    elif name == 'adam':
        opt = torch.optim.Adam(params, lr=cfg['lr'], betas=(cfg['beta1'], cfg['beta2']), eps=cfg['eps'])
    else:
        opt = torch.optim.SGD(params, lr=cfg['lr'], momentum=cfg['momentum'], nesterov=cfg['nesterov'])
    sched = make_scheduler(opt, cfg, steps)
    out = []
    for _ in range(steps):
        lr = opt.param_groups[0]['lr']
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), Y)
        loss.backward()
        if cfg.get('clip_norm', 0) > 0:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg['clip_norm'])
        else:
            norm = torch.norm(torch.stack([torch.norm(p.grad, 2.0) for p in model.parameters()]), 2.0)
        opt.step()
        sched.step()
        out.append({
            'lr': lr, 'loss': loss.item(), 'grad_norm': float(norm),
            'params': {n: p.detach().flatten().tolist() for n, p in model.named_parameters()},
        })
    return out


BASE = {'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8, 'momentum': 0.0, 'nesterov': False}
CASES = {
    'adamw_warmup_cosine_clip': {**BASE, 'name': 'adamw', 'lr': 0.05, 'weight_decay': 0.1, 'schedule': 'warmup_cosine',
                                 'warmup_steps': 2, 'decay_steps': 10, 'min_lr_ratio': 0.1, 'clip_norm': 0.5},
    'adam_l2_step': {**BASE, 'name': 'adam', 'lr': 0.03, 'weight_decay': 0.05, 'schedule': 'step', 'step_size': 3, 'gamma': 0.5},
    'sgd_nesterov_one_cycle_clip': {**BASE, 'name': 'sgd', 'lr': 0.2, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 0.01,
                                    'schedule': 'one_cycle', 'decay_steps': 10, 'clip_norm': 1.0},
    'sgd_momentum_warmup_linear': {**BASE, 'name': 'sgd', 'lr': 0.1, 'momentum': 0.5, 'weight_decay': 0.0,
                                   'schedule': 'warmup_linear', 'warmup_steps': 3, 'decay_steps': 10},
}
STEPS = 10


def scheduler_lrs(cfg, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=cfg['lr'])
    sched = make_scheduler(opt, cfg, steps)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return lrs


SCHEDULES = {
    'step': {'lr': 0.1, 'schedule': 'step', 'step_size': 7, 'gamma': 0.3},
    'one_cycle': {'lr': 0.5, 'schedule': 'one_cycle', 'decay_steps': 40},
    'one_cycle_odd': {'lr': 1.0, 'schedule': 'one_cycle', 'decay_steps': 17},
}

fixture = {
    'torch': torch.__version__,
    'x': X.flatten().tolist(), 'y': Y.flatten().tolist(),
    'init': {k: v.flatten().tolist() for k, v in INIT_STATE.items()},
    'shapes': {k: list(v.shape) for k, v in INIT_STATE.items()},
    'steps': STEPS,
    'cases': {k: {'config': cfg, 'trajectory': run_case(cfg, STEPS)} for k, cfg in CASES.items()},
    'schedules': {k: {'config': cfg, 'lrs': scheduler_lrs(cfg, cfg.get('decay_steps', 40))} for k, cfg in SCHEDULES.items()},
}
path = os.path.join('tests', 'fixtures', 'torch', 'optim', 'trajectories.json')
with open(path, 'w') as f:
    json.dump(fixture, f, indent=None, separators=(',', ':'))
print(f'wrote {path} ({os.path.getsize(path)} bytes)')
