/**
 * Deep Sets bench cases: a full training step of a Deep Set (ours: segment ops over CSR
 * offsets; tfjs: unsortedSegmentSum over segment ids), and the segment sum on its own.
 *
 * The cases: { kind: 'deepset', sets: 64, meanSize: 40, width: 128, depth: 3 } and
 * { kind: 'segmentSum', rows: 1_000_000, cols: 128, segments: 10_000 } (--full).
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetsFromCounts } from '../../../src/data/ragged';
import { DeepSet } from '../../../src/nn/deepset';
import { transpose2d } from '../../../src/nn/linear';
import { seededRandom } from '../../../src/nn/init';
import { mse } from '../../../src/tensor/ops/losses';
import { segmentSum } from '../../../src/tensor/ops/segment';
import { segmentReduceRef } from '../../../src/tensor/reference/segment';
import type { Tensor } from '../../../src/tensor/tensor';
import { Adam } from '../../../src/train/adam';
import { fmt, gammaF32 } from '../agreement';
import { trainingPair } from '../trainingPair';
import { oursSettle, tfjsSettle, type BenchContext, type PreparedCase } from '../context';
import { uniformF32 } from '../inputs';

const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const INPUT_WIDTH = 4;
/**
 * Same reasoning as the MLP case: f32 dot products of ≤ 128 terms and set sums of ≤ a few
 * hundred rows differ by ≲ 1e-5 relative between orderings; ~14 of them chained forward and
 * back stay well under 1e-3, with room for a ReLU flipping at a rounding-level input.
 */
const TOL_LOSS = 1e-4;
const TOL_GRAD = 1e-3;
/** After Adam steps (updates ≈ lr·sign(g)) a near-zero gradient entry moves a weight up to 2·lr apart (as the MLP case). */
const TOL_LOSS_AFTER_STEPS = 1e-2;
const CHECK_STEPS = 3;

/** Set sizes 1 + ⌊Exp·(mean-1)⌋: mean ≈ meanSize with the long tail of the seed's toy data. */
function setSizes(sets: number, meanSize: number, seed: number): number[] {
  const rand = seededRandom(seed);
  return Array.from({ length: sets }, () => 1 + Math.floor(-Math.log(1 - rand()) * (meanSize - 1)));
}

/**
 * One Adam training step of y = rho(Σ phi(x)/meanSize) with MSE over the sets: phi and rho
 * `depth`×`width` ReLU MLPs, all sets in one block. tfjs gets the same initial weights.
 */
export async function prepareDeepSet(
  { engine: e, tfBackend }: BenchContext,
  sets: number,
  meanSize: number,
  width: number,
  depth: number,
): Promise<PreparedCase> {
  const sizes = setSizes(sets, meanSize, 31);
  const offsets = offsetsFromCounts(sizes);
  const rows = offsets[sets];
  const xData = uniformF32(rows * INPUT_WIDTH, 32);
  const yData = uniformF32(sets, 33);
  const ids = Int32Array.from({ length: rows }, (_, r) => {
    let k = 0;
    while (offsets[k + 1] <= r) k++;
    return k;
  });
  const poolScale = 1 / meanSize;

  const model = new DeepSet(
    e,
    {
      inputWidth: INPUT_WIDTH,
      phi: { width, depth },
      rho: { width, depth },
      outputs: 1,
      activation: 'relu',
      pool: 'sum',
      poolScale,
    },
    seededRandom(34),
  );
  const params = model.parameters();
  const x = e.fromArray(xData, [rows, INPUT_WIDTH]).keep();
  const off = e.fromArray(Int32Array.from(offsets), [sets + 1], { dtype: 'i32' }).keep();
  const y = e.fromArray(yData, [sets, 1]).keep();
  const adam = new Adam(e, params, HYPER);
  const initial = await Promise.all(params.map((p) => p.read()));

  // Our Linear weights are [out, in] (torch layout); the tfjs twin multiplies by [in, out].
  const vars = tf.tidy(() =>
    params.map((p, i) =>
      tf.variable(
        p.rank === 2
          ? tf.tensor(transpose2d(initial[i], p.shape[0], p.shape[1]), [p.shape[1], p.shape[0]])
          : tf.tensor(initial[i], [...p.shape]),
      ),
    ),
  );
  const tfjsGradToOurs = (g: Float32Array, i: number) =>
    params[i].rank === 2 ? transpose2d(g, params[i].shape[1], params[i].shape[0]) : g;
  const tx = tf.tensor2d(xData, [rows, INPUT_WIDTH]);
  const tids = tf.tensor1d(ids, 'int32');
  const ty = tf.tensor2d(yData, [sets, 1]);
  const tfAdam = tf.train.adam(HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps);

  const oursLoss = (): Tensor<'f32'> => mse(model.forward(x, off), y);
  const tfjsLoss = (): tf.Scalar => {
    const dense = (h: tf.Tensor2D, l: number, act: 'relu' | 'linear') =>
      tf.fused.matMul({ a: h, b: vars[2 * l] as tf.Tensor2D, bias: vars[2 * l + 1], activation: act }) as tf.Tensor2D;
    let h: tf.Tensor2D = tx;
    for (let l = 0; l < depth; l++) h = dense(h, l, 'relu');
    h = tf.mul(tf.unsortedSegmentSum(h, tids, sets), poolScale) as tf.Tensor2D;
    for (let l = depth; l < 2 * depth + 1; l++) h = dense(h, l, l < 2 * depth ? 'relu' : 'linear');
    return tf.mean(tf.squaredDifference(h, ty));
  };

  const { oursStep, tfjsStep, checkAgreement } = trainingPair({ e, params, adam, oursLoss, tfAdam, vars, tfjsLoss, tfjsGradToOurs });

  // Forward 2·rows·Σ phi in·out + 2·sets·Σ rho in·out; backward twice that, less the
  // input gradient of the first layer; the pool adds rows·width (negligible).
  const phiFan = INPUT_WIDTH * width + (depth - 1) * width * width;
  const rhoFan = depth * width * width + width;
  return {
    id: `deepset-${sets}x${meanSize}-${depth}x${width}`,
    label: `Deep Set train step, ${sets} sets (${rows} elements), φ and ρ ${depth}×${width}, sum pool`,
    flops: 6 * rows * phiFan + 6 * sets * rhoFan - 2 * rows * INPUT_WIDTH * width,
    ours: { step: oursStep, settle: oursSettle(e) },
    tfjs: { step: tfjsStep, settle: tfjsSettle(tfBackend) },
    items: { count: sets, unit: 'sets' },
    check: () => checkAgreement({ loss: TOL_LOSS, grad: TOL_GRAD, afterSteps: TOL_LOSS_AFTER_STEPS, steps: CHECK_STEPS }),
    dispose() {
      adam.dispose();
      model.dispose();
      for (const t of [x, off, y]) t.dispose();
      tf.dispose([...vars, tx, tids, ty]);
      tfAdam.dispose();
    },
  };
}

/** Segment sum of [rows, cols] into `segments` sorted segments: ours over offsets, tfjs unsortedSegmentSum. */
export function prepareSegmentSum({ engine: e, tfBackend }: BenchContext, rows: number, cols: number, segments: number): PreparedCase {
  const xData = uniformF32(rows * cols, 41);
  // Random segment sizes summing to rows: sorted cut points.
  const rand = seededRandom(42);
  const cuts = Array.from({ length: segments - 1 }, () => Math.floor(rand() * (rows + 1))).sort((p, q) => p - q);
  const offsets = Int32Array.from([0, ...cuts, rows]);
  const ids = new Int32Array(rows);
  for (let s = 0; s < segments; s++) ids.fill(s, offsets[s], offsets[s + 1]);

  const x = e.fromArray(xData, [rows, cols]).keep();
  const off = e.fromArray(offsets, [segments + 1], { dtype: 'i32' }).keep();
  const tx = tf.tensor2d(xData, [rows, cols]);
  const tids = tf.tensor1d(ids, 'int32');

  return {
    id: `segment-sum-${rows}x${cols}-${segments}`,
    label: `segment sum [${rows}, ${cols}] into ${segments} sets (vs unsortedSegmentSum)`,
    flops: rows * cols,
    ours: {
      step() {
        e.scope(() => {
          segmentSum(x, off);
        });
        e.gpu.submit();
      },
      settle: oursSettle(e),
    },
    tfjs: {
      step() {
        tf.tidy(() => {
          tf.unsortedSegmentSum(tx, tids, segments);
        });
      },
      settle: tfjsSettle(tfBackend),
    },
    async check() {
      const y = segmentSum(x, off);
      const ours = await y.read();
      y.dispose();
      const ty = tf.unsortedSegmentSum(tx, tids, segments);
      const theirs = (await ty.data()) as Float32Array;
      ty.dispose();
      const exact = segmentReduceRef(
        { data: Float64Array.from(xData), shape: [rows, cols] },
        { data: Float64Array.from(offsets), shape: [segments + 1] },
        'sum',
      ).data;
      // Any summation order of n terms |x| ≤ 1 is within γ_n·n of the exact sum (n = longest segment).
      let longest = 0;
      for (let s = 0; s < segments; s++) longest = Math.max(longest, offsets[s + 1] - offsets[s]);
      const bound = gammaF32(longest) * longest;
      let worstOurs = 0;
      let worstTfjs = 0;
      for (let i = 0; i < exact.length; i++) {
        worstOurs = Math.max(worstOurs, Math.abs(ours[i] - exact[i]));
        worstTfjs = Math.max(worstTfjs, Math.abs(theirs[i] - exact[i]));
      }
      return {
        ok: worstOurs <= bound && worstTfjs <= bound,
        detail: `max error vs f64: ours ${fmt(worstOurs)}, tfjs ${fmt(worstTfjs)} (bound γ_n·n = ${fmt(bound)}, n = ${longest})`,
      };
    },
    dispose() {
      x.dispose();
      off.dispose();
      tf.dispose([tx, tids]);
    },
  };
}
