// CosmicUResNet against CosmicTagger's own torch UResNet (uresnet2D.py, run by
// tools/torch_fixtures/make_cosmic_fixtures.py; tests/fixtures/torch/cosmic/README.md names the
// upstream commit). Upstream's state dicts load with loadStateDict(strict) and give upstream's
// logits, input and parameter gradients and running statistics, in eval and train mode.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import { CosmicUResNet, SMALL_URESNET, UPSTREAM_URESNET, type CosmicNetworkConfig } from '../../src/nn/cosmicUResNet';
import { seededRandom } from '../../src/nn/init';
import { entryToFloat32, type StateDict } from '../../src/nn/stateDict';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';

const DIR = 'tests/fixtures/torch/cosmic';
const decode = (name: string) => decodeStateDict(new Uint8Array(readFileSync(`${DIR}/${name}.safetensors`)), name);

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Tolerance, relative to the largest magnitude of the compared quantity: both sides are f32
 * with different summation orders (~6e-8 per rounding), through ~20 (small) to ~60 (default)
 * layers of convolution sums of up to 6400 terms (the 5×5×256 deepest convolutions) and
 * batch norm, whose train-mode backward subtracts means of comparable terms. Measured
 * (SwiftShader vs torch CPU): ≤ 2e-6 for the small nets, ≤ 2e-5 for the default net; 1e-4
 * leaves a margin and is far below any semantic difference (nearest vs bilinear upsampling,
 * ReLU vs leaky ReLU, biased vs unbiased variance all move the logits by ≥ 1e-3 relative).
 */
const RTOL = 1e-4;

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, what: string, scale = maxAbs(want)): number {
  const d = maxDiff(got, want);
  const rel = d / Math.max(scale, 1e-30);
  expect(rel, `${what}: max |Δ| ${d.toExponential(2)} of ${scale.toExponential(2)}`).toBeLessThanOrEqual(RTOL);
  return rel;
}

/** The closed-form weights of make_cosmic_fixtures.py (closed_form_weights), in f64 rounded to f32. */
function closedFormParameters(model: CosmicUResNet): StateDict {
  const sd: StateDict = {};
  model.namedParameters().forEach(([name, t], j) => {
    const n = t.size;
    const data = new Float32Array(n);
    const shape = [...t.shape];
    let scale = 0.1;
    let offset = 0;
    if (shape.length === 4) scale = Math.sqrt(6 / (shape[1] * shape[2] * shape[3] + shape[0] * shape[2] * shape[3]));
    else if (name.endsWith('norm.weight')) [scale, offset] = [0.2, 1];
    for (let i = 0; i < n; i++) data[i] = offset + scale * Math.sin(0.7 * (i % 9973) + 1.3 * j + 0.1);
    sd[name] = { dtype: 'F32', shape, data };
  });
  return sd;
}

interface Case {
  tag: string;
  closedForm: boolean;
}
const CASES: Case[] = [
  { tag: 'small', closedForm: false },
  { tag: 'variant_a', closedForm: false },
  { tag: 'variant_b', closedForm: false },
  { tag: 'default', closedForm: true },
];

/** The script searched an input whose max-pool windows have no near-ties (kink margin ≥ 1e-6). */
const tieFree = (c: Case) => Number(decode(`${c.tag}_state`).metadata.pool_margin) >= 1e-6;

async function modelFor(c: Case): Promise<CosmicUResNet> {
  const { state, metadata } = decode(`${c.tag}_state`);
  const cfg = JSON.parse(metadata.config) as CosmicNetworkConfig;
  const model = new CosmicUResNet(e, cfg, seededRandom(1));
  // Exactly upstream's keys, in upstream's order, with upstream's shapes and dtypes.
  const torchLayout = JSON.parse(metadata.keys) as Record<string, [number[], string]>;
  expect(model.stateLayout().map(([n]) => n)).toEqual(JSON.parse(metadata.order));
  for (const [n, { tensor, dtype }] of model.stateLayout()) {
    expect([n, [...tensor.shape], dtype]).toEqual([n, torchLayout[n][0], torchLayout[n][1] === 'int64' ? 'I64' : 'F32']);
  }
  expect(model.parameterCount()).toBe(Number(metadata.parameters));
  const full = c.closedForm ? { ...closedFormParameters(model), ...state } : state;
  expect(model.loadStateDict(full, { strict: true }).loaded).toBe(Object.keys(torchLayout).length);
  return model;
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((m, v) => m + v * v, 0));
function relNormDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  const d = Float64Array.from(got, (v, i) => v - want[i]);
  return norm(d) / Math.max(norm(want), 1e-30);
}

/**
 * Without near-ties in the 2×2 max pools (tieFree, the script's input search) every gradient
 * is compared element-wise. The default net's 400k top-level pool windows always hold some
 * window whose two largest values differ by less than the f32 rounding of the two
 * implementations; there the whole window's gradient goes to another pixel. Its gradients
 * are compared in aggregate: ‖Δ‖ / ‖g‖ ≤ AGG_TOL per tensor and the gradient norm of every
 * parameter (torch's norms in the metadata) — a few swapped pixels among 10⁵ move these by
 * ~1e-4, a wrong layer by O(1).
 */
const AGG_TOL = 1e-2;

async function runCase(
  model: CosmicUResNet,
  fx: { state: StateDict; metadata: Record<string, string> },
  tag: string,
  tieFree: boolean,
): Promise<void> {
  const io = fx.state;
  const x = e.fromArray(entryToFloat32(io.input), io.input.shape, { requiresGrad: true });
  const tape = e.beginTape();
  try {
    const y = model.forward(x);
    expect(y.shape).toEqual(io.output.shape);
    const g = tape.backward(y, e.fromArray(entryToFloat32(io.upstream), y.shape));
    const logitRel = expectNear(await y.read(), entryToFloat32(io.output), `${tag} logits`);
    const names = Object.keys(io)
      .filter((k) => k.startsWith('grad.') && k !== 'grad.input')
      .map((k) => k.slice(5));
    const params = new Map(model.namedParameters());
    const gotInput = await g.get(x)!.read();
    if (tieFree) {
      const inputRel = expectNear(gotInput, entryToFloat32(io['grad.input']), `${tag} d/d input`);
      // Parameter gradients relative to the largest of them: the conv biases in front of
      // train-mode batch norm have an exact gradient of 0 (removed by the batch mean), so
      // both sides hold rounding noise there.
      const scale = Math.max(...names.map((n) => maxAbs(entryToFloat32(io[`grad.${n}`]))));
      let paramRel = 0;
      for (const n of names)
        paramRel = Math.max(
          paramRel,
          expectNear(await g.get(params.get(n)!)!.read(), entryToFloat32(io[`grad.${n}`]), `${tag} d/d ${n}`, scale),
        );
      console.log(
        `${tag}: rel. max |Δ| logits ${logitRel.toExponential(1)}, input grad ${inputRel.toExponential(1)}, parameter grads ${paramRel.toExponential(1)} (${names.length} tensors)`,
      );
    } else {
      let worst = relNormDiff(gotInput, entryToFloat32(io['grad.input']));
      expect(worst, `${tag} d/d input ‖Δ‖/‖g‖`).toBeLessThanOrEqual(AGG_TOL);
      for (const n of names) {
        const r = relNormDiff(await g.get(params.get(n)!)!.read(), entryToFloat32(io[`grad.${n}`]));
        expect(r, `${tag} d/d ${n} ‖Δ‖/‖g‖`).toBeLessThanOrEqual(AGG_TOL);
      }
      const torchNorms = JSON.parse(fx.metadata.grad_norms) as Record<string, number>;
      const largest = Math.max(...Object.values(torchNorms));
      let normRel = 0;
      for (const [n, want] of Object.entries(torchNorms)) {
        const r = Math.abs(norm(await g.get(params.get(n)!)!.read()) - want) / Math.max(want, 1e-3 * largest);
        normRel = Math.max(normRel, r);
        expect(r, `${tag} ‖d/d ${n}‖ ${want}`).toBeLessThanOrEqual(AGG_TOL);
      }
      worst = Math.max(worst, normRel);
      console.log(
        `${tag}: rel. max |Δ| logits ${logitRel.toExponential(1)}; gradients in aggregate ≤ ${worst.toExponential(1)} (${Object.keys(torchNorms).length} parameter norms, ${names.length} tensors element-wise)`,
      );
    }
    expect(e.gpu.takeErrors()).toEqual([]);
  } finally {
    e.endTape();
  }
}

describe('CosmicUResNet = CosmicTagger UResNet (torch fixtures)', () => {
  it("the default configuration is upstream's UResNet: 18,382,131 parameters, the README network", () => {
    const m = new CosmicUResNet(e, UPSTREAM_URESNET, seededRandom(1));
    expect(m.parameterCount()).toBe(18_382_131);
    m.dispose();
    expect(SMALL_URESNET.normalization).toBe('batch');
    expect(SMALL_URESNET.upsampling).toBe('interpolation');
  });

  it("default: a state dict of upstream's default UResNet (its buffers + the closed-form parameters) loads strictly, every key as upstream", async () => {
    (await modelFor(CASES[3])).dispose();
  }, 120_000);

  for (const c of CASES) {
    // The default net's forward + backward at 1×3×128×256 takes > 5 min on SwiftShader: opt-in
    // (COSMIC_DEFAULT_FIXTURE=1), e.g. on a GPU.
    const run = c.tag !== 'default' || !!process.env.COSMIC_DEFAULT_FIXTURE ? it : it.skip;
    run(
      `${c.tag}: eval mode (running statistics of upstream's train passes) — logits and gradients`,
      async () => {
        const model = await modelFor(c);
        const before = await model.stateDict();
        await runCase(model.eval(), decode(`${c.tag}_eval`), `${c.tag} eval`, tieFree(c));
        const after = await model.stateDict();
        for (const k of Object.keys(before).filter((n) => n.endsWith('running_mean'))) expect(after[k]).toEqual(before[k]);
        model.dispose();
      },
      600_000,
    );

    run(
      `${c.tag}: train mode — logits, gradients, and running statistics updated once per plane`,
      async () => {
        const model = await modelFor(c);
        const fx = decode(`${c.tag}_train`);
        const io = fx.state;
        await runCase(model.train(), fx, `${c.tag} train`, tieFree(c));
        const sd = await model.stateDict();
        const buffers = Object.keys(io).filter((k) => k.startsWith('after.'));
        for (const k of buffers) {
          const n = k.slice(6);
          if (n.endsWith('num_batches_tracked')) expect(sd[n].data, n).toEqual(io[k].data);
          else expectNear(sd[n].data as Float32Array, entryToFloat32(io[k]), n);
        }
        model.dispose();
      },
      600_000,
    );
  }
});
