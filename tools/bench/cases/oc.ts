/**
 * Object condensation loss, forward + backward on one event: our fused "tiger" kernels
 * (O(N + K) memory), our dense kernels (N×K matrices) and a dense tfjs implementation
 * written with tfjs ops (N×K one-hot membership, N×K distances, gradients by tf.variableGrads).
 * Reports time, peak GPU memory, and where a dense implementation cannot run at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildOcLayout, ocLossOp, ocLossReference, uploadOcLayout, type OcLayout } from '../../../src/losses/oc';
import { denseFits } from '../../../src/losses/oc/kernels';
import { seededRandom } from '../../../src/nn/init';
import type { Engine } from '../../../src/tensor/engine';
import type { Tensor } from '../../../src/tensor/tensor';
import { fmt, maxNormRelDiff } from '../agreement';
import { oursSettle, tfjsSettle, type BenchContext, type PreparedCase, type PreparedVariant } from '../context';
import type { Side } from '../timing';
import { condensationPointsDense, denseOcLoss, type DenseOcConstants } from './ocTfjs';
import { bufferLimitReason, denseHostBytes, OC_HOST_BUDGET_BYTES } from './ocSizes';

const Q_MIN = 0.5;
/**
 * Agreement tolerances (relative; gradients max-norm relative). The terms are sums of up to
 * N·K products evaluated in different orders (our kernels: per-object loops; tfjs: N×K
 * reductions), so they differ by a few multiples of N·2^-24 ≈ 6e-3 at worst for N = 1e5 and
 * far less in practice (errors cancel); tfjs also forms distances as |x|² + |a|² − 2x·a, which
 * loses ≈ 2^-24·|x|²/d² relative on short distances. 1e-3 on values and 1e-2 on gradients
 * (one short pair can dominate an element) separate rounding from a wrong term by orders of
 * magnitude: a missing or doubled pair class changes a term by O(1).
 */
const TOL_VALUE = 1e-3;
const TOL_GRAD = 1e-2;
const TERMS = ['attractive', 'repulsive', 'coward', 'noise'] as const;
/** The f64 reference costs N·K·D flops in JS: checked up to this many pairs. */
const REFERENCE_MAX_PAIRS = 2e7;

/** Object ids 0..k per hit, 0 = noise (one in k+1 hits). */
function objectIds(n: number, k: number, seed: number): Int32Array {
  const rand = seededRandom(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rand() * (k + 1)));
}

interface Values {
  terms: number[];
  beta: Float32Array;
  x: Float32Array;
}

/** Our loss as one step: forward, backward with all four terms weighted 1. */
function oursSide(e: Engine, beta: Tensor<'f32'>, x: Tensor<'f32'>, seed: Tensor<'f32'>, layout: OcLayout, impl: 'fused' | 'dense') {
  const run = () => {
    const tape = e.beginTape();
    try {
      const out = e.apply(ocLossOp, [beta, x], { layout, qMin: Q_MIN, impl, hasWeights: false }) as Tensor<'f32'>;
      tape.backward(out, seed);
      return { out, gBeta: beta.grad!, gX: x.grad! };
    } finally {
      e.endTape();
    }
  };
  const side: Side = {
    step() {
      e.scope(() => {
        run();
      });
      e.gpu.submit();
    },
    settle: oursSettle(e),
  };
  const values = async (): Promise<Values> => {
    const { out, gBeta, gX } = e.scope(run);
    beta.grad = null;
    x.grad = null;
    const [t, gb, gx] = await Promise.all([out.read(), gBeta.read(), gX.read()]);
    for (const v of [out, gBeta, gX]) v.dispose();
    return { terms: [...t], beta: gb, x: gx };
  };
  return { side, values };
}

/** Runs `fn` inside error scopes of tfjs's device: an out-of-memory or invalid buffer becomes an exception. */
async function tfjsGuarded<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let value: T | undefined;
  let thrown: unknown = null;
  try {
    value = await fn();
  } catch (err) {
    thrown = err;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (oom) throw new Error(`out of memory: ${oom.message}`);
  if (validation) throw new Error(`WebGPU validation error: ${validation.message}`);
  if (thrown) throw thrown;
  return value!;
}

export async function prepareOc({ engine: e, tfBackend }: BenchContext, n: number, k: number, d: number): Promise<PreparedCase> {
  const rand = seededRandom(1000 + n + k);
  const ids = objectIds(n, k, 2000 + n + k);
  const host = buildOcLayout(ids);
  const K = host.k; // objects that received hits (≤ k)
  const betaData = Float32Array.from({ length: n }, () => 0.9 * rand());
  const xData = Float32Array.from({ length: n * d }, () => 3 * rand());
  const layout = uploadOcLayout(e, host);
  const beta = e.fromArray(betaData, [n], { requiresGrad: true }).keep();
  const x = e.fromArray(xData, [n, d], { requiresGrad: true }).keep();
  const seed = e.fromArray(Float32Array.from([1, 1, 1, 1]), [4]).keep();

  const tiger = oursSide(e, beta, x, seed, layout, 'fused');
  const dense = oursSide(e, beta, x, seed, layout, 'dense');
  const denseVariant: PreparedVariant = { name: 'ours dense', side: dense.side };
  // Ours dense holds dist, att and rep, each N×K f32.
  const oursDenseLimit = denseFits(e.gpu, layout) ? null : bufferLimitReason(n, K, e.gpu.device.limits);
  const oursDenseHost = denseHostBytes(n, K, 3);
  if (oursDenseLimit) denseVariant.skipped = oursDenseLimit;
  else if (oursDenseHost > OC_HOST_BUDGET_BYTES) {
    denseVariant.skipped = `not run on this machine: its N×K buffers need ${(oursDenseHost / 2 ** 30).toFixed(1)} GiB of host memory (SwiftShader)`;
  }
  if (denseVariant.skipped) denseVariant.side = null;

  // tfjs: about 16 live N×K tensors (one-hot, products, distances, their gradients).
  const skipped: { tfjs?: string } = {};
  const tfjsLimit = bufferLimitReason(n, K, tfBackend.device.limits);
  const tfjsHost = denseHostBytes(n, K, 16);
  if (tfjsLimit) skipped.tfjs = tfjsLimit;
  else if (tfjsHost > OC_HOST_BUDGET_BYTES) {
    skipped.tfjs = `not run on this machine: an estimated ${(tfjsHost / 2 ** 30).toFixed(1)} GiB of N×K tensors (SwiftShader uses host memory)`;
  }

  let tfjsSide: Side | null = null;
  let tfjsValues: (() => Promise<Values>) | null = null;
  let tfjsDispose: () => void = () => {};
  if (!skipped.tfjs) {
    const vBeta = tf.variable(tf.tensor1d(betaData), true, `oc_beta_${n}_${k}`);
    const vX = tf.variable(tf.tensor2d(xData, [n, d]), true, `oc_x_${n}_${k}`);
    const consts: DenseOcConstants = tf.tidy(() => {
      const member = tf.cast(tf.oneHot(tf.tensor1d(host.hitObj, 'int32'), K), 'float32') as tf.Tensor2D; // −1 (noise) → zero row
      const noise = tf.tensor1d(Float32Array.from(host.hitObj, (o) => (o < 0 ? 1 : 0)));
      return { member, count: tf.sum(member, 0) as tf.Tensor1D, noise, noiseCount: host.eventNoise[0], qMin: Q_MIN };
    });
    const loss = (alpha: tf.Tensor1D) => () => {
      const t = denseOcLoss(vBeta, vX, alpha, consts);
      return tf.addN([t.attractive, t.repulsive, t.coward, t.noise]) as tf.Scalar;
    };
    tfjsSide = {
      step() {
        tf.tidy(() => {
          tf.variableGrads(loss(condensationPointsDense(vBeta, consts)), [vBeta, vX]);
        });
      },
      settle: tfjsSettle(tfBackend),
    };
    tfjsValues = async () => {
      const { terms, grads } = tf.tidy(() => {
        const alpha = condensationPointsDense(vBeta, consts);
        const t = denseOcLoss(vBeta, vX, alpha, consts);
        const g = tf.variableGrads(loss(alpha), [vBeta, vX]);
        return { terms: tf.stack([t.attractive, t.repulsive, t.coward, t.noise]), grads: [g.grads[vBeta.name], g.grads[vX.name]] };
      });
      const [tv, gb, gx] = await Promise.all([terms, ...grads].map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([terms, ...grads]);
      return { terms: [...tv], beta: gb, x: gx };
    };
    tfjsDispose = () => tf.dispose([vBeta, vX, consts.member, consts.count, consts.noise]);
  }

  const compare = (a: Values, b: Values) => {
    const value = Math.max(...TERMS.map((_, i) => Math.abs(a.terms[i] - b.terms[i]) / Math.abs(b.terms[i])));
    const grad = Math.max(maxNormRelDiff(a.beta, b.beta), maxNormRelDiff(a.x, b.x));
    return { value, grad, ok: value <= TOL_VALUE && grad <= TOL_GRAD };
  };

  const c: PreparedCase = {
    id: `oc-${n}-${k}`,
    label: `OC loss fwd+bwd, N ${n}, K ${K}, D ${d}`,
    flops: 0,
    ours: tiger.side,
    tfjs: tfjsSide,
    skipped,
    variants: [denseVariant],
    measureMemory: true,
    async check() {
      const t = await tiger.values();
      const parts = [`tiger terms ${t.terms.map(fmt).join(', ')}`];
      let ok = t.terms.every(Number.isFinite);
      if (n * K <= REFERENCE_MAX_PAIRS) {
        const r = ocLossReference(host, { beta: betaData, x: xData, d, qMin: Q_MIN });
        const rel = Math.max(...TERMS.map((name, i) => Math.abs(t.terms[i] - r[name]) / Math.abs(r[name])));
        parts.push(`tiger vs f64 reference: values rel ${fmt(rel)} ≤ ${TOL_VALUE}`);
        ok &&= rel <= TOL_VALUE;
      }
      if (denseVariant.side) {
        const dv = compare(await dense.values(), t);
        parts.push(`ours dense vs tiger: values rel ${fmt(dv.value)}, grads rel ${fmt(dv.grad)}`);
        ok &&= dv.ok;
      }
      if (tfjsValues && c.tfjs) {
        try {
          const tv = await tfjsGuarded(tfBackend.device, tfjsValues);
          const cmp = compare(tv, t);
          parts.push(`tfjs dense vs tiger: values rel ${fmt(cmp.value)} ≤ ${TOL_VALUE}, grads rel ${fmt(cmp.grad)} ≤ ${TOL_GRAD}`);
          ok &&= cmp.ok;
        } catch (err) {
          // A dense tfjs loss that cannot allocate is a result of this case, not a failure of the bench.
          c.tfjs = null;
          skipped.tfjs = err instanceof Error ? err.message : String(err);
          parts.push(`tfjs failed: ${skipped.tfjs}`);
        }
      }
      const lim = e.gpu.device.limits;
      parts.push(
        `our device maxBufferSize ${(lim.maxBufferSize / 2 ** 20).toFixed(0)} MiB, maxStorageBufferBindingSize ${(lim.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`,
      );
      return { ok, detail: parts.join('; ') };
    },
    dispose() {
      for (const t of [beta, x, seed]) t.dispose();
      layout.dispose();
      tfjsDispose();
    },
  };
  return c;
}
