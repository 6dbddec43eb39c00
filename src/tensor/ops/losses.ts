import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { launchReduce } from '../kernels';
import { mseRef, softmaxCrossEntropyRef } from '../reference/losses';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

/** mean((pred - target)^2) as a scalar tensor. */
export const mseOp = registerOp<Record<string, never>>({
  name: 'mse',
  differentiable: [true, true],
  forward(e, [pred, target]) {
    if (pred.size !== target.size) {
      throw new Error(`mse: prediction [${pred.shape}] and target [${target.shape}] differ in size`);
    }
    const sq = e.empty(pred.shape);
    const n = pred.size;
    e.gpu.dispatch(SHADERS.mse, 'squared_error', [pred.buffer, target.buffer, sq.buffer], grid1d(n), [
      ['u32', n],
      ['u32', 0],
      ['u32', 0],
      ['u32', 0],
    ]);
    const loss = e.empty([]);
    launchReduce(e.gpu, sq.buffer, loss.buffer, 1, n, 1, 1 / n);
    sq.dispose();
    return { output: loss };
  },
  backward(e, node, g) {
    const [pred, target] = node.inputs;
    const dp = e.empty(pred.shape);
    const dt = e.empty(target.shape);
    const n = pred.size;
    e.gpu.dispatch(SHADERS.mse, 'mse_backward', [pred.buffer, target.buffer, g.buffer, dp.buffer, dt.buffer], grid1d(n), [
      ['u32', n],
      ['u32', 0],
      ['u32', 0],
      ['u32', 0],
    ]);
    return [dp, dt];
  },
  reference: ([p, t]) => mseRef(p, t),
});

export interface XentAttrs {
  hasWeights: boolean;
}

/**
 * inputs: logits [..., C] f32, labels [...] i32 (negative = ignored), optional class
 * weights [C]. Output: the weighted mean cross-entropy, a scalar. The per-row sums are
 * kept for the backward pass.
 */
export const softmaxCrossEntropyOp = registerOp<XentAttrs>({
  name: 'softmaxCrossEntropy',
  differentiable: [true, false, false],
  forward(e, [logits, labels, weights], at) {
    const C = logits.shape[logits.rank - 1];
    const R = logits.size / C;
    if (labels.size !== R || labels.dtype !== 'i32') {
      throw new Error(`softmaxCrossEntropy: need ${R} i32 labels for logits [${logits.shape}], got ${labels.dtype} [${labels.shape}]`);
    }
    if (at.hasWeights && weights.size !== C) throw new Error(`softmaxCrossEntropy: ${C} class weights expected`);
    const params = [
      ['u32', R],
      ['u32', C],
      ['u32', at.hasWeights ? 1 : 0],
      ['u32', 0],
    ] as ['u32', number][];
    const rows = e.empty([2, R]);
    e.gpu.dispatch(
      SHADERS.softmaxXent,
      'xent_rows',
      [logits.buffer, labels.buffer, at.hasWeights ? weights.buffer : e.gpu.placeholder('read'), rows.buffer],
      grid1d(R),
      params,
    );
    const sums = e.empty([2]);
    launchReduce(e.gpu, rows.buffer, sums.buffer, 2, R, 1, 1);
    rows.dispose();
    const loss = e.empty([]);
    e.gpu.dispatch(SHADERS.softmaxXent, 'xent_ratio', [sums.buffer, loss.buffer], [1]);
    return { output: loss, saved: [sums] };
  },
  backward(e, node, g) {
    const [logits, labels, weights] = node.inputs;
    const C = logits.shape[logits.rank - 1];
    const R = logits.size / C;
    const hasW = node.attrs.hasWeights;
    const d = e.empty(logits.shape);
    e.gpu.dispatch(
      SHADERS.softmaxXent,
      'xent_backward',
      [logits.buffer, labels.buffer, hasW ? weights.buffer : e.gpu.placeholder('read'), node.saved[0].buffer, g.buffer, d.buffer],
      grid1d(R * C),
      [
        ['u32', R],
        ['u32', C],
        ['u32', hasW ? 1 : 0],
        ['u32', 0],
      ],
    );
    return [d, null, null];
  },
  reference: ([logits, labels, weights], at) => softmaxCrossEntropyRef(logits, labels, at.hasWeights ? weights : null),
});

export function mse(pred: Tensor<'f32'>, target: Tensor<'f32'>): Tensor<'f32'> {
  return pred.engine.apply(mseOp, [pred, target], {}) as Tensor<'f32'>;
}

export function softmaxCrossEntropy(logits: Tensor<'f32'>, labels: Tensor<'i32'>, classWeights?: Tensor<'f32'>): Tensor<'f32'> {
  const inputs: Tensor[] = classWeights ? [logits, labels, classWeights] : [logits, labels];
  return logits.engine.apply(softmaxCrossEntropyOp, inputs, { hasWeights: !!classWeights }) as Tensor<'f32'>;
}
