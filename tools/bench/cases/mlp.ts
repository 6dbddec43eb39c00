import * as tf from '@tensorflow/tfjs-core';
import { transpose2d } from '../../../src/nn/linear';
import { Mlp } from '../../../src/nn/mlp';
import { seededRandom } from '../../../src/nn/init';
import { mse } from '../../../src/tensor/ops/losses';
import type { Tensor } from '../../../src/tensor/tensor';
import { Adam } from '../../../src/train/adam';
import { trainingPair } from '../trainingPair';
import { oursSettle, tfjsSettle, type BenchContext, type PreparedCase } from '../context';
import { uniformF32 } from '../inputs';

const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
/** Adam steps both sides take before their losses are compared again. */
const CHECK_STEPS = 3;

/**
 * Agreement tolerances, relative to each tensor's max |value|. Both sides do the same f32
 * arithmetic in different orders: one K-term dot product differs by ≲ K·2^-24 ≈ 3e-5 for
 * K = 512, and a gradient passes ~8 such products (4 layers forward and back), so 1e-3
 * leaves room; what it must absorb beyond that is a ReLU unit whose pre-activation is within
 * rounding of 0 and switches on one side only. After Adam steps the first update is
 * ≈ lr·sign(g), so gradient entries near 0 move weights by up to 2·lr apart: 1e-2 on the loss.
 */
const TOL_LOSS = 1e-4;
const TOL_GRAD = 1e-3;
const TOL_LOSS_AFTER_STEPS = 1e-2;

/** A smooth target of the first inputs so that the loss can fall. */
function targets(x: Float32Array, batch: number, width: number): Float32Array {
  return Float32Array.from({ length: batch }, (_, r) => {
    const row = x.subarray(r * width, r * width + 4);
    return Math.sin(2 * row[0]) + row[1] * row[2] - 0.5 * row[3];
  });
}

/**
 * One training step of a ReLU MLP with MSE loss and Adam: forward, backward and update,
 * submitted as one command buffer on our side. tfjs runs the same model from the same
 * initial weights through optimizer.minimize with fused matmul+bias+ReLU.
 */
export async function prepareMlp({ engine: e, tfBackend }: BenchContext, batch: number, widths: number[]): Promise<PreparedCase> {
  const inW = widths[0];
  const xData = uniformF32(batch * inW, 21);
  const yData = targets(xData, batch, inW);

  const mlp = new Mlp(e, { sizes: widths, activation: 'relu' }, seededRandom(22));
  const params = mlp.parameters();
  const x = e.fromArray(xData, [batch, inW]).keep();
  const y = e.fromArray(yData, [batch, 1]).keep();
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
  const tx = tf.tensor2d(xData, [batch, inW]);
  const ty = tf.tensor2d(yData, [batch, 1]);
  const tfAdam = tf.train.adam(HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps);

  const oursLoss = (): Tensor<'f32'> => mse(mlp.forward(x), y);
  const tfjsLoss = (): tf.Scalar => {
    let h: tf.Tensor2D = tx;
    for (let l = 0; l < vars.length / 2; l++) {
      const last = l === vars.length / 2 - 1;
      h = tf.fused.matMul({
        a: h,
        b: vars[2 * l] as tf.Tensor2D,
        bias: vars[2 * l + 1],
        activation: last ? 'linear' : 'relu',
      }) as tf.Tensor2D;
    }
    return tf.mean(tf.squaredDifference(h, ty));
  };

  const { oursStep, tfjsStep, checkAgreement } = trainingPair({ e, params, adam, oursLoss, tfAdam, vars, tfjsLoss, tfjsGradToOurs });

  const fanProducts = widths.slice(1).reduce((s, w, i) => s + widths[i] * w, 0);
  return {
    id: `mlp-${batch}-${widths.join('-')}`,
    label: `MLP train step, batch ${batch}, ${widths.join('→')}`,
    // Forward 2·b·Σ in·out; backward twice that, less the input gradient nobody needs.
    flops: 6 * batch * fanProducts - 2 * batch * widths[0] * widths[1],
    ours: { step: oursStep, settle: oursSettle(e) },
    tfjs: { step: tfjsStep, settle: tfjsSettle(tfBackend) },
    check: () => checkAgreement({ loss: TOL_LOSS, grad: TOL_GRAD, afterSteps: TOL_LOSS_AFTER_STEPS, steps: CHECK_STEPS }),
    dispose() {
      adam.dispose();
      for (const t of [...params, x, y]) t.dispose();
      tf.dispose([...vars, tx, ty]);
      tfAdam.dispose();
    },
  };
}

/** The case's targets, for peers built from the same inputs (cases/jaxPeer.ts). */
export const mlpTargets = targets;
