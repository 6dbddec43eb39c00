import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/nn/init';
import { Mlp } from '../../src/nn/mlp';
import { Module } from '../../src/nn/module';
import type { Engine } from '../../src/tensor/engine';
import { mse } from '../../src/tensor/ops/losses';
import type { Tensor } from '../../src/tensor/tensor';
import { buildOptimizer, paramGroups, resolveOptimizerConfig } from '../../src/train/optim';
import type { OptimizerConfig } from '../../src/train/optimConfig';
import { makeSchedule } from '../../src/train/schedule';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';

interface Step {
  lr: number;
  loss: number;
  grad_norm: number;
  params: Record<string, number[]>;
}
interface Fixture {
  x: number[];
  y: number[];
  init: Record<string, number[]>;
  shapes: Record<string, number[]>;
  steps: number;
  cases: Record<string, { config: Partial<OptimizerConfig>; trajectory: Step[] }>;
  schedules: Record<string, { config: Partial<OptimizerConfig>; lrs: number[] }>;
}
const FIX: Fixture = JSON.parse(readFileSync('tests/fixtures/torch/optim/trajectories.json', 'utf8'));

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const sched = (c: Partial<OptimizerConfig>, runSteps = 0) => makeSchedule(resolveOptimizerConfig(c), runSteps);

describe('learning-rate schedules', () => {
  it('match hand-computed values', () => {
    expect(sched({ lr: 0.1 })(12345)).toBe(0.1);
    // StepLR(step_size 3, gamma 0.5): 0.1 for k = 0..2, 0.05 for 3..5, 0.025 at 6.
    const st = sched({ lr: 0.1, schedule: 'step', step_size: 3, gamma: 0.5 });
    expect([0, 2, 3, 5, 6].map(st)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    // warmup_linear W = 4, T = 12, floor r = 0: k/4 for k < 4, then (12 - k)/8; stays 0 after T.
    const wl = sched({ lr: 1, schedule: 'warmup_linear', warmup_steps: 4, decay_steps: 12 });
    expect([0, 1, 4, 8, 12, 20].map(wl)).toEqual([0, 0.25, 1, 0.5, 0, 0]);
    // With r = 0.2 the decay goes to 0.2: at k = 8, 0.2 + 0.8 · 0.5 = 0.6.
    expect(sched({ lr: 1, schedule: 'warmup_linear', warmup_steps: 4, decay_steps: 12, min_lr_ratio: 0.2 })(8)).toBeCloseTo(0.6, 15);
    // warmup_cosine W = 2, T = 10: at k = 6 (halfway) ½(1 + cos(π/2)) = 0.5; at T, 0; k = 1, 0.5.
    const wc = sched({ lr: 2, schedule: 'warmup_cosine', warmup_steps: 2, decay_steps: 10 });
    expect(wc(1)).toBe(1);
    expect(wc(2)).toBe(2);
    expect(wc(6)).toBeCloseTo(1, 15);
    expect(wc(10)).toBeCloseTo(0, 15);
    expect(wc(4)).toBeCloseTo(2 * 0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    // one_cycle T = 10 (run's steps): lr/25 at 0, lr at 0.3·10 − 1 = 2, lr/25/1e4 at 9.
    const oc = sched({ lr: 1, schedule: 'one_cycle' }, 10);
    expect(oc(0)).toBeCloseTo(0.04, 15);
    expect(oc(2)).toBeCloseTo(1, 15);
    expect(oc(9)).toBeCloseTo(4e-6, 15);
    // k = 1 is halfway up phase 1: the cosine is at its midpoint.
    expect(oc(1)).toBeCloseTo(0.04 + (1 - 0.04) / 2, 15);
  });

  it('match torch StepLR and OneCycleLR', () => {
    for (const [name, { config, lrs }] of Object.entries(FIX.schedules)) {
      const f = sched(config);
      // torch accumulates StepLR multiplicatively (lr·γ·γ…) and OneCycleLR in f64: agreement
      // to a few f64 ulps.
      expectClose(
        lrs.map((_, k) => f(k)),
        lrs,
        1e-12,
        1e-15,
        name,
      );
    }
  });

  it('explain what they need', () => {
    expect(() => sched({ schedule: 'warmup_cosine', warmup_steps: 5 })).toThrow(/needs decay_steps or a step limit/);
    expect(() => sched({ schedule: 'warmup_linear', warmup_steps: 10, decay_steps: 10 })).toThrow(/warmup_steps/);
    expect(() => resolveOptimizerConfig({ name: 'lion' as never })).toThrow(/name "lion"/);
    // The older camelCase key (tasks' `optimizer: { weightDecay }`) still sets the decay.
    expect(resolveOptimizerConfig({ weightDecay: 0.1 }).weight_decay).toBe(0.1);
    expect(resolveOptimizerConfig({ weightDecay: 0.1, weight_decay: 0.2 }).weight_decay).toBe(0.2);
  });
});

describe('parameter groups', () => {
  it('no decay on biases and norm parameters, by name and module type', () => {
    class LayerNorm extends Module {
      constructor(engine: Engine) {
        super(engine);
        this.parameter('weight', new Float32Array(4), [4]);
        this.parameter('bias', new Float32Array(4), [4]);
      }
    }
    class Net extends Module {
      constructor(engine: Engine) {
        super(engine);
        this.registerModule('mlp', new Mlp(engine, { sizes: [2, 4, 1], activation: 'relu' }, seededRandom(1)));
        this.registerModule('final', new LayerNorm(engine));
        const bn = this.registerModule('bn1', new Module(engine));
        bn.parameter('weight', new Float32Array(3), [3]);
        this.parameter('scale', new Float32Array(2), [2]);
      }
    }
    const net = new Net(e);
    const groups = paramGroups({ model: net, parameters: () => net.parameters() }, 0.1, true);
    const decayOf = Object.fromEntries(groups.map((g) => [g.name, g.weightDecay]));
    expect(decayOf).toEqual({
      'mlp.layers.0.weight': 0.1,
      'mlp.layers.0.bias': 0,
      'mlp.layers.1.weight': 0.1,
      'mlp.layers.1.bias': 0,
      'final.weight': 0,
      'final.bias': 0, // LayerNorm by module type
      'bn1.weight': 0, // rank 1 under a module named bn1
      scale: 0.1, // rank 1, but neither a bias nor a norm
    });
    // Without a model: names by index, rank-1 tensors undecayed.
    const flat = paramGroups({ parameters: () => net.parameters() }, 0.1, true);
    expect(flat.map((g) => [g.name, g.weightDecay])).toEqual(net.parameters().map((t, i) => [`param.${i}`, t.rank === 1 ? 0 : 0.1]));
    expect(paramGroups({ model: net, parameters: () => net.parameters() }, 0.1, false).every((g) => g.weightDecay === 0.1)).toBe(true);
    net.dispose();
  });
});

/** The fixture's MLP with torch's initial weights, and its batch. */
function fixtureModel() {
  const mlp = new Mlp(e, { sizes: [3, 4, 2], activation: 'tanh' }, seededRandom(3));
  mlp.loadStateDict(
    Object.fromEntries(
      Object.entries(FIX.init).map(([k, v]) => [k, { dtype: 'F32' as const, shape: FIX.shapes[k], data: Float32Array.from(v) }]),
    ),
  );
  const x = e.fromArray(Float32Array.from(FIX.x), [8, 3]).keep();
  const y = e.fromArray(Float32Array.from(FIX.y), [8, 2]).keep();
  return {
    mlp,
    x,
    y,
    dispose: () => {
      mlp.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

describe('optimisers reproduce torch trajectories', () => {
  for (const [name, { config, trajectory }] of Object.entries(FIX.cases)) {
    it(name, async () => {
      const { mlp, x, y, dispose } = fixtureModel();
      const cfg = resolveOptimizerConfig(config);
      const opt = buildOptimizer(e, { model: mlp, parameters: () => mlp.parameters() }, cfg);
      const lrAt = makeSchedule(cfg, FIX.steps);
      const names = mlp.namedParameters();
      for (let k = 0; k < trajectory.length; k++) {
        const want = trajectory[k];
        expect(lrAt(k)).toBeCloseTo(want.lr, 12);
        const loss = e.scope(() => {
          const tape = e.beginTape();
          const l = mse(mlp.forward(x), y);
          tape.backward(l);
          e.endTape();
          opt.lr = lrAt(k);
          opt.step({ loss: l });
          return l;
        }) as Tensor<'f32'>;
        e.gpu.submit();
        const guard = await opt.guard.read();
        // Loss and norm: f32 sums of 16 (resp. 22) terms of O(1), ~1e-6 relative, plus the
        // parameters' drift below.
        expectClose([await loss.item()], [want.loss], 2e-5, 1e-7, `${name} loss @${k}`);
        expectClose([guard.norm], [want.grad_norm], 2e-5, 1e-7, `${name} grad norm @${k}`);
        expect(guard.t).toBe(k + 1);
        loss.dispose();
        for (const [pname, t] of names) {
          // One step moves a weight by ≤ lr·O(1) with f32 round-off ~1e-7 relative in the
          // update (and in the bias corrections, formed on the GPU as -expm1(t·ln β)); the
          // two implementations round differently each step, and the gradients feed back
          // through a Lipschitz-small tanh net, so after 10 steps the weights (|w| ≲ 1)
          // agree to a few 1e-6 (measured: ≤ 1.8e-6 for Adam/AdamW, whose m/√v amplifies
          // small gradients' relative error; ≤ 8e-8 for SGD). 2e-5 is an order above that.
          expectClose(await t.read(), want.params[pname], 0, 2e-5, `${name} ${pname} @${k}`);
        }
      }
      expect(e.gpu.takeErrors()).toEqual([]);
      opt.dispose();
      dispose();
    });
  }
});

describe('optimiser state', () => {
  it('state() / loadState() continue a run exactly', async () => {
    const cfg = resolveOptimizerConfig({ name: 'adamw', lr: 0.02, weight_decay: 0.1 });
    const stepN = (opt: ReturnType<typeof buildOptimizer>, m: ReturnType<typeof fixtureModel>, n: number) => {
      for (let k = 0; k < n; k++) {
        e.scope(() => {
          const tape = e.beginTape();
          const l = mse(m.mlp.forward(m.x), m.y);
          tape.backward(l);
          e.endTape();
          opt.step({ loss: l });
        });
        e.gpu.submit();
      }
    };
    const a = fixtureModel();
    const optA = buildOptimizer(e, { model: a.mlp, parameters: () => a.mlp.parameters() }, cfg);
    stepN(optA, a, 3);
    const saved = await optA.state();
    const weights = await a.mlp.stateDict();
    expect(saved.step).toBe(3);
    expect(Object.keys(saved.slots)).toEqual(a.mlp.namedParameters().map(([n]) => n));
    expect(Object.keys(saved.slots['layers.0.weight'])).toEqual(['exp_avg', 'exp_avg_sq']);
    stepN(optA, a, 3);

    const b = fixtureModel();
    b.mlp.loadStateDict(weights);
    const optB = buildOptimizer(e, { model: b.mlp, parameters: () => b.mlp.parameters() }, cfg);
    optB.loadState(saved);
    stepN(optB, b, 3);
    expect((await optB.state()).step).toBe(6);
    for (const [[n, ta], [, tb]] of a.mlp.namedParameters().map((p, i) => [p, b.mlp.namedParameters()[i]] as const)) {
      // The same kernels on the same inputs: bitwise equal.
      expect(Array.from(await tb.read()), n).toEqual(Array.from(await ta.read()));
    }
    expect(() => optB.loadState({ ...saved, name: 'sgd' })).toThrow(/for sgd/);
    expect(() => optB.loadState({ ...saved, slots: { ...saved.slots, extra: {} } })).toThrow(/unexpected extra/);
    for (const o of [optA, optB]) o.dispose();
    a.dispose();
    b.dispose();
  });
});
