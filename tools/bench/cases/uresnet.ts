/**
 * U-ResNet training step of the cosmic tagging task (its default network and loss: depth 2,
 * 8 filters, residual blocks, concat connections, instance norm, "light" class weights,
 * Adam lr 2e-3) on synthetic events of 3 wire planes, the planes travelling as a batch of
 * single-channel images. tfjs runs the same layers (cases/uresnetTfjs.ts) from our weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { classWeightTable, segmentationCrossEntropy } from '../../../src/losses/segmentation';
import { seededRandom } from '../../../src/nn/init';
import { DEFAULT_URESNET, UResNet } from '../../../src/nn/uresnet';
import { syntheticPlanes } from '../../../src/tasks/cosmic/synthetic';
import { cosmicTaggingTask } from '../../../src/tasks/cosmic/task';
import type { Tensor } from '../../../src/tensor/tensor';
import { Adam } from '../../../src/train/adam';
import { fmt, maxNormRelDiff } from '../agreement';
import { trainingPair } from '../trainingPair';
import { oursPeakBytes, oursSettle, tfjsPeakBytes, tfjsSettle, type BenchContext, type PreparedCase } from '../context';
import { planeCrossEntropy, TfjsUResNet } from './uresnetTfjs';

const CLASSES = 3;
/**
 * Tolerances. Both sides do the same f32 arithmetic in other orders (convolution sums of
 * ≤ 9·72 terms, instance-norm statistics over up to 65536 pixels, the loss over 65536): the
 * loss agrees to ~1e-6. Gradients are compared max-norm relative per tensor, 1e-2: the worst
 * tensor is the shift β of an instance norm whose output reaches (through ReLU, pooling, a
 * 1×1 convolution) another instance norm, which removes per-channel shifts, so β's gradient
 * is a nearly cancelling sum over thousands of pixels and its rounding is large against its
 * own size (measured 4e-3 at 64², 7.6e-3 at 256²; a wrong layer is off by O(1)). A tied
 * max-pool window may also route its gradient to another, ReLU-dead, pixel. After one Adam
 * step (update ≈ lr·sign(g) for every weight) a gradient entry near 0 can move a weight by up
 * to 2·lr apart: 1e-2 on the loss.
 */
const TOL_LOSS = 1e-4;
const TOL_GRAD = 1e-2;
const TOL_LOSS_AFTER_STEP = 1e-2;

export async function prepareUResNet({ engine: e, tfBackend }: BenchContext, events: number, size: number): Promise<PreparedCase> {
  const defaults = cosmicTaggingTask.defaults;
  const data = syntheticPlanes({ events, size, seed: 7 });
  const P = data.planes;
  const HW = size * size;
  const N = events * P;
  const labels = Int32Array.from(data.labels);
  const table = classWeightTable('light', labels, P, CLASSES, HW);
  const hyper = { lr: cosmicTaggingTask.optimizer?.lr ?? 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

  const model = new UResNet(e, { ...DEFAULT_URESNET, planes: P, bias: false }, seededRandom(defaults.seed as number)); // the instance-norm U-ResNet its tfjs twin mirrors (the task's former defaults)
  const params = model.parameters();
  const x = e.fromArray(data.images, [N, 1, size, size]).keep();
  const y = e.fromArray(labels, [N, size, size], { dtype: 'i32' }).keep();
  const w = e.fromArray(table, [P, CLASSES]).keep();
  const adam = new Adam(e, params, hyper);

  const net = await TfjsUResNet.fromOurs(model);
  const tx = tf.tensor4d(data.images, [N, size, size, 1]); // C = 1: NCHW and NHWC are the same bytes
  const pixW = Float32Array.from(labels, (c, i) => table[(Math.floor(i / HW) % P) * CLASSES + c]);
  const planeSum = new Float32Array(P);
  pixW.forEach((v, i) => (planeSum[Math.floor(i / HW) % P] += v));
  const tOneHot = tf.tidy(() =>
    tf.cast(tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), [N, size, size, CLASSES]), 'float32'),
  ) as tf.Tensor4D;
  const tPixW = tf.tensor3d(pixW, [N, size, size]);
  const tPlaneSum = tf.tensor1d(planeSum);
  const tfAdam = tf.train.adam(hyper.lr, hyper.beta1, hyper.beta2, hyper.eps);

  const oursLoss = (): Tensor<'f32'> => segmentationCrossEntropy(model.forward(x), y, w, { planes: P, focal: false });
  const tfjsLoss = (): tf.Scalar => planeCrossEntropy(net.forward(tx), tOneHot, tPixW, tPlaneSum, P);

  const { oursStep, tfjsStep, oursLossAndGrads, tfjsLossAndGrads } = trainingPair({
    e,
    params,
    adam,
    oursLoss,
    tfAdam,
    vars: net.vars,
    tfjsLoss,
    tfjsGradToOurs: (g, i) => net.toOurs[i](g),
  });
  const lossValue = async () => {
    const l = e.scope(() => oursLoss());
    const a = await l.item();
    l.dispose();
    const t = tf.tidy(tfjsLoss);
    const b = (await t.data())[0];
    t.dispose();
    return [a, b];
  };

  const ours = { step: oursStep, settle: oursSettle(e) };
  const tfjs = { step: tfjsStep, settle: tfjsSettle(tfBackend) };
  const c: PreparedCase = {
    id: `uresnet-${events}x${P}x${size}`,
    label: `U-ResNet train step, ${events} event × ${P} planes ${size}×${size}, ${model.parameterCount().toLocaleString('en-US')} params`,
    flops: 0,
    ours,
    tfjs,
    items: { count: events, unit: 'events' },
    async check() {
      const a = await oursLossAndGrads();
      const b = await tfjsLossAndGrads();
      const lossDiff = Math.abs(a.loss - b.loss) / Math.abs(b.loss);
      const gradDiffs = a.grads.map((g, i) => maxNormRelDiff(g, b.grads[i]));
      const worst = gradDiffs.indexOf(Math.max(...gradDiffs));
      // The Adam step of the check is also the memory measurement (a step at 256² takes a minute on SwiftShader).
      c.memory = { ours: await oursPeakBytes(e, ours), tfjs: await tfjsPeakBytes(tfBackend, tfjs) };
      const [la, lb] = await lossValue();
      const stepDiff = Math.abs(la - lb) / Math.abs(lb);
      const moved = Math.abs(la - a.loss) > 1e-4 * a.loss && Math.abs(lb - b.loss) > 1e-4 * b.loss;
      const ok = lossDiff <= TOL_LOSS && gradDiffs[worst] <= TOL_GRAD && stepDiff <= TOL_LOSS_AFTER_STEP && moved;
      return {
        ok,
        detail:
          `loss ${fmt(a.loss)} vs ${fmt(b.loss)} (rel ${fmt(lossDiff)} ≤ ${TOL_LOSS}); ` +
          `grads max rel ${fmt(gradDiffs[worst])} ≤ ${TOL_GRAD} (worst: ${model.namedParameters()[worst][0]}); ` +
          `after 1 Adam step ${fmt(la)} vs ${fmt(lb)} (rel ${fmt(stepDiff)} ≤ ${TOL_LOSS_AFTER_STEP})${moved ? '' : ', but a loss did not move'}`,
      };
    },
    dispose() {
      adam.dispose();
      model.dispose();
      for (const t of [x, y, w]) t.dispose();
      net.dispose();
      tf.dispose([tx, tOneHot, tPixW, tPlaneSum]);
      tfAdam.dispose();
    },
  };
  return c;
}
