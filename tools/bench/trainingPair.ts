import * as tf from '@tensorflow/tfjs-core';
import { fmt, maxNormRelDiff } from './agreement';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import type { Adam } from '../../src/train/adam';

/** A loss value and its gradients, host side, in our parameter order and layout. */
export interface LossAndGrads {
  loss: number;
  grads: Float32Array[];
}

/**
 * The training step and the loss-and-gradients probe of both sides of a training benchmark,
 * built from each side's loss function: ours (tape, backward, fused Adam, one submit) and
 * tfjs (optimizer.minimize; variableGrads).
 */
export function trainingPair(o: {
  e: Engine;
  params: Tensor<'f32'>[];
  adam: Adam;
  oursLoss: () => Tensor<'f32'>;
  tfAdam: tf.Optimizer;
  vars: tf.Variable[];
  tfjsLoss: () => tf.Scalar;
  /** Maps a tfjs gradient into our layout (e.g. NHWC → NCHW weights); identity by default. */
  tfjsGradToOurs?: (g: Float32Array, i: number) => Float32Array;
}) {
  const { e, params, adam, oursLoss, tfAdam, vars, tfjsLoss } = o;
  const oursStep = () => {
    e.scope(() => {
      const tape = e.beginTape();
      try {
        tape.backward(oursLoss());
      } finally {
        e.endTape();
      }
      adam.update();
    });
    e.gpu.submit();
  };
  const tfjsStep = () => {
    tf.tidy(() => {
      tfAdam.minimize(tfjsLoss, false, vars);
    });
  };
  const oursLossAndGrads = async (): Promise<LossAndGrads> => {
    const { loss, grads } = e.scope(() => {
      const tape = e.beginTape();
      try {
        const l = oursLoss();
        tape.backward(l);
        return { loss: l, grads: params.map((p) => p.grad!) };
      } finally {
        e.endTape();
      }
    });
    for (const p of params) p.grad = null;
    const values = await Promise.all([loss, ...grads].map((t) => t.read()));
    for (const t of [loss, ...grads]) t.dispose();
    return { loss: values[0][0], grads: values.slice(1) };
  };
  const tfjsLossAndGrads = async (): Promise<LossAndGrads> => {
    const { value, grads } = tf.variableGrads(tfjsLoss, vars);
    const ordered = vars.map((v) => grads[v.name]);
    const values = await Promise.all([value, ...ordered].map((t) => t.data() as Promise<Float32Array>));
    tf.dispose([value, ...ordered]);
    const map = o.tfjsGradToOurs ?? ((g: Float32Array) => g);
    return { loss: values[0][0], grads: values.slice(1).map(map) };
  };
  /** Both sides' current loss, without gradients. */
  const lossValues = async (): Promise<[number, number]> => {
    const l = e.scope(() => oursLoss());
    const ours = await l.item();
    l.dispose();
    const t = tf.tidy(tfjsLoss);
    const theirs = (await t.data())[0];
    t.dispose();
    return [ours, theirs];
  };
  /**
   * The agreement check of a training case: same loss and gradients from the same weights,
   * and the same loss again after `steps` Adam steps on each side.
   */
  const checkAgreement = async (tol: { loss: number; grad: number; afterSteps: number; steps: number }) => {
    const a = await oursLossAndGrads();
    const b = await tfjsLossAndGrads();
    const lossDiff = Math.abs(a.loss - b.loss) / Math.abs(b.loss);
    const gradDiff = Math.max(...a.grads.map((g, i) => maxNormRelDiff(g, b.grads[i])));
    for (let s = 0; s < tol.steps; s++) {
      oursStep();
      tfjsStep();
    }
    const [la, lb] = await lossValues();
    const stepDiff = Math.abs(la - lb) / Math.abs(lb);
    // Both losses must have moved, or the comparison after the steps says nothing about Adam.
    // (They need not fall: Adam's first steps move every weight by ≈ lr at once.)
    const moved = Math.abs(la - a.loss) > tol.afterSteps * a.loss && Math.abs(lb - b.loss) > tol.afterSteps * b.loss;
    return {
      ok: lossDiff <= tol.loss && gradDiff <= tol.grad && stepDiff <= tol.afterSteps && moved,
      detail:
        `loss ${fmt(a.loss)} vs ${fmt(b.loss)} (rel ${fmt(lossDiff)} ≤ ${tol.loss}); grads max rel ${fmt(gradDiff)} ≤ ${tol.grad}; ` +
        `after ${tol.steps} Adam steps ${fmt(la)} vs ${fmt(lb)} (rel ${fmt(stepDiff)} ≤ ${tol.afterSteps})${moved ? '' : ', but a loss did not move'}`,
    };
  };
  return { oursStep, tfjsStep, oursLossAndGrads, tfjsLossAndGrads, lossValues, checkAgreement };
}
