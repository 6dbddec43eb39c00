/**
 * jax-js (`@jax-js/jax`, WebGPU device) as a second peer of the matmul and MLP cases: a
 * variant named "jax-js" timed in the same rounds as ours and tfjs, same inputs, same page
 * and adapter (jax-js asks navigator.gpu for its own device, as tfjs does), and checked
 * before timing. Matmul: its product's sampled rows against f64 like the other two.
 * MLP: the same initial weights (our Mlp with the case's seed, read back), loss and every
 * gradient against ours, and the loss after 3 Adam steps. Its step is one jit-compiled
 * function: value-and-grad of the MSE loss and the Adam update (optax's rule written with
 * jax-js ops: @jax-js/optax is not published on npm).
 */
import { blockUntilReady, defaultDevice, getWebGPUDevice, init, jit, numpy as np, nn, valueAndGrad } from '@jax-js/jax';
import { Mlp } from '../../../src/nn/mlp';
import { seededRandom } from '../../../src/nn/init';
import { mse } from '../../../src/tensor/ops/losses';
import type { Tensor } from '../../../src/tensor/tensor';
import { Adam } from '../../../src/train/adam';
import { checkMatmulRows, fmt, maxNormRelDiff } from '../agreement';
import type { BenchContext, PreparedCase } from '../context';
import { uniformF32 } from '../inputs';
import type { Side } from '../timing';
import type { AgreementCheck, CaseSpec } from '../types';
import { mlpTargets } from './mlp';

let ready: Promise<string | null> | null = null;

/** Starts jax-js's WebGPU device once; resolves with why it cannot run, or null. */
function startJax(): Promise<string | null> {
  ready ??= (async () => {
    try {
      const devices = await init('webgpu');
      if (!devices.includes('webgpu')) return 'jax-js found no WebGPU device';
      defaultDevice('webgpu');
      return null;
    } catch (err) {
      return `jax-js failed to start: ${err instanceof Error ? err.message : String(err)}`;
    }
  })();
  return ready;
}

const settleJax = async () => {
  await getWebGPUDevice().queue.onSubmittedWorkDone();
};

/** Adds the jax-js variant to the cases it has a twin for; other cases pass through. */
export async function withJaxPeer(ctx: BenchContext, spec: CaseSpec, c: PreparedCase): Promise<PreparedCase> {
  if (spec.kind !== 'matmul' && spec.kind !== 'mlp') return c;
  const why = await startJax();
  if (why) return { ...c, variants: [...(c.variants ?? []), { name: 'jax-js', side: null, skipped: why }] };
  const peer = spec.kind === 'matmul' ? jaxMatmul(spec.n) : await jaxMlp(ctx, spec.batch, spec.widths);
  return {
    ...c,
    variants: [...(c.variants ?? []), { name: 'jax-js', side: peer.side }],
    async check() {
      const base = await c.check();
      const own = await peer.check();
      return { ok: base.ok && own.ok, detail: `${base.detail}; jax-js: ${own.detail}` };
    },
    dispose() {
      c.dispose();
      peer.dispose();
    },
  };
}

interface Peer {
  side: Side;
  check(): Promise<AgreementCheck>;
  dispose(): void;
}

/** The matmul case's inputs (same seeds as cases/matmul.ts), C = A·B with np.matmul. */
function jaxMatmul(n: number): Peer {
  const aData = uniformF32(n * n, 11);
  const bData = uniformF32(n * n, 12);
  const a = np.array(aData).reshape([n, n]);
  const b = np.array(bData).reshape([n, n]);
  const product = jit((x: np.Array, y: np.Array) => np.matmul(x, y));
  // jax-js evaluates lazily: a product disposed before it is realised is never computed, so
  // a sample keeps every product of its steps and realises them all when it settles.
  let pending: np.Array[] = [];
  return {
    side: {
      step() {
        pending.push(product(a.ref, b.ref));
      },
      settle: async () => {
        await blockUntilReady(pending);
        await settleJax();
        for (const c of pending) c.dispose();
        pending = [];
      },
    },
    async check() {
      const c = product(a.ref, b.ref);
      const got = (await c.data()) as Float32Array;
      const rows = [...new Set([0, n - 1, ...Array.from({ length: 14 }, (_, k) => Math.floor(((k + 1) * 0.618034 * n) % n))])].sort(
        (x, y) => x - y,
      );
      const r = checkMatmulRows(aData, bData, { M: n, K: n, N: n }, rows, { 'jax-js': got });
      return { ok: r.ok, detail: r.detail };
    },
    dispose() {
      for (const c of pending) c.dispose();
      a.dispose();
      b.dispose();
      product.dispose();
    },
  };
}

const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
/** Same tolerances and argument as cases/mlp.ts (f32 in a different order, ReLU ties, Adam's sign-like first steps). */
const TOL = { loss: 1e-4, grad: 1e-3, afterSteps: 1e-2, steps: 3 };

type Params = np.Array[];

/**
 * The MLP case's model (cases/mlp.ts: Mlp with seed 22, inputs seed 21, its targets) on
 * jax-js. Weights keep our [out, in] layout and are multiplied transposed, as our Linear.
 */
async function jaxMlp({ engine: e }: BenchContext, batch: number, widths: number[]): Promise<Peer> {
  const inW = widths[0];
  const xData = uniformF32(batch * inW, 21);
  const yData = mlpTargets(xData, batch, inW);
  // Our twin from the same seed: its weights start jax-js, its loss and gradients are the reference.
  const mlp = new Mlp(e, { sizes: widths, activation: 'relu' }, seededRandom(22));
  const ours = mlp.parameters();
  const x = e.fromArray(xData, [batch, inW]).keep();
  const y = e.fromArray(yData, [batch, 1]).keep();
  const initial = await Promise.all(ours.map((p) => p.read()));
  const shapes = ours.map((p) => [...p.shape]);
  const layers = ours.length / 2;

  const jx = np.array(xData).reshape([batch, inW]);
  const jy = np.array(yData).reshape([batch, 1]);
  let params: Params = initial.map((d, i) => np.array(d).reshape(shapes[i]));
  let m: Params = shapes.map((s) => np.zeros(s));
  let v: Params = shapes.map((s) => np.zeros(s));
  let t = 0;

  const loss = (p: Params, xs: np.Array, ys: np.Array): np.Array => {
    let h = xs;
    for (let l = 0; l < layers; l++) {
      h = np.matmul(h, p[2 * l].transpose()).add(p[2 * l + 1]);
      if (l < layers - 1) h = nn.relu(h);
    }
    return np.mean(np.square(h.sub(ys)));
  };
  const lossAndGrad = jit((p: Params, xs: np.Array, ys: np.Array) => valueAndGrad(loss)(p, xs, ys));
  // One Adam step (optax.adam's update): bias corrections come in as arrays so jit traces once.
  const step = jit((p: Params, mm: Params, vv: Params, xs: np.Array, ys: np.Array, c1: np.Array, c2: np.Array) => {
    const [value, g] = valueAndGrad(loss)(
      p.map((pi) => pi.ref),
      xs,
      ys,
    );
    const m2 = mm.map((mi, i) => mi.mul(HYPER.beta1).add(g[i].ref.mul(1 - HYPER.beta1)));
    const v2 = vv.map((vi, i) => vi.mul(HYPER.beta2).add(np.square(g[i].ref).mul(1 - HYPER.beta2)));
    for (const gi of g) gi.dispose();
    const p2 = p.map((pi, i) => {
      const mhat = m2[i].ref.div(c1.ref);
      const vhat = v2[i].ref.div(c2.ref);
      return pi.sub(mhat.mul(HYPER.lr).div(np.sqrt(vhat).add(HYPER.eps)));
    });
    c1.dispose();
    c2.dispose();
    return { p: p2, m: m2, v: v2, value };
  });
  let lastValue: np.Array | null = null;
  const jaxStep = () => {
    t++;
    const c1 = np.array([1 - HYPER.beta1 ** t]).reshape([]);
    const c2 = np.array([1 - HYPER.beta2 ** t]).reshape([]);
    const out = step(params, m, v, jx.ref, jy.ref, c1, c2);
    params = out.p;
    m = out.m;
    v = out.v;
    lastValue?.dispose();
    lastValue = out.value;
  };
  const jaxLoss = async () => {
    const l = loss(
      params.map((p) => p.ref),
      jx.ref,
      jy.ref,
    );
    return (await l.data())[0];
  };

  return {
    side: {
      step: jaxStep,
      settle: async () => {
        await blockUntilReady(params);
        await settleJax();
      },
    },
    async check() {
      // Reference: ours from the same weights (loss, gradients, loss after the same Adam steps).
      const { l, grads } = e.scope(() => {
        const tape = e.beginTape();
        try {
          const l = mse(mlp.forward(x), y);
          tape.backward(l);
          return { l, grads: ours.map((p) => p.grad!) as Tensor<'f32'>[] };
        } finally {
          e.endTape();
        }
      });
      for (const p of ours) p.grad = null;
      const ref = await Promise.all([l, ...grads].map((q) => q.read()));
      for (const q of [l, ...grads]) q.dispose();
      const [value, g] = lossAndGrad(
        params.map((p) => p.ref),
        jx.ref,
        jy.ref,
      );
      const jl = (await value.data())[0];
      const jg = await Promise.all(g.map((gi) => gi.data() as Promise<Float32Array>));
      const lossDiff = Math.abs(jl - ref[0][0]) / Math.abs(ref[0][0]);
      const gradDiff = Math.max(...jg.map((gi, i) => maxNormRelDiff(gi, ref[i + 1])));
      const adam = new Adam(e, ours, HYPER);
      for (let s = 0; s < TOL.steps; s++) {
        e.scope(() => {
          const tape = e.beginTape();
          try {
            tape.backward(mse(mlp.forward(x), y));
          } finally {
            e.endTape();
          }
          adam.update();
        });
        e.gpu.submit();
        jaxStep();
      }
      adam.dispose();
      const lo = await e.scope(() => mse(mlp.forward(x), y)).item();
      const lj = await jaxLoss();
      const stepDiff = Math.abs(lj - lo) / Math.abs(lo);
      const moved = Math.abs(lj - jl) > TOL.afterSteps * jl;
      return {
        ok: lossDiff <= TOL.loss && gradDiff <= TOL.grad && stepDiff <= TOL.afterSteps && moved,
        detail:
          `loss ${fmt(jl)} vs ours ${fmt(ref[0][0])} (rel ${fmt(lossDiff)} ≤ ${TOL.loss}); grads max rel ${fmt(gradDiff)} ≤ ${TOL.grad}; ` +
          `after ${TOL.steps} Adam steps ${fmt(lj)} vs ours ${fmt(lo)} (rel ${fmt(stepDiff)} ≤ ${TOL.afterSteps})${moved ? '' : ', but the loss did not move'}`,
      };
    },
    dispose() {
      for (const a of [...params, ...m, ...v, jx, jy]) a.dispose();
      lastValue?.dispose();
      lossAndGrad.dispose();
      step.dispose();
      for (const p of [...ours, x, y]) p.dispose();
    },
  };
}
