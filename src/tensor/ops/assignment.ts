import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import { launchReduce } from '../kernels';
import { assignmentNllRef, type AssignmentLossAttrs } from '../reference/assignment';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type { AssignmentLossAttrs } from '../reference/assignment';

function check(targets: Tensor, logps: Tensor[], at: AssignmentLossAttrs): void {
  const { B, P, G } = at;
  if (targets.dtype !== 'i32' || targets.size !== G * B * P) throw new Error(`assignmentNll: targets must be i32 [${G}, ${B}, ${P}]`);
  if (logps.length !== P) throw new Error(`assignmentNll: ${P} particles but ${logps.length} log-probability tensors`);
  for (const l of logps) if (l.shape[0] !== B) throw new Error(`assignmentNll: log-probabilities [${l.shape}] do not have ${B} events`);
}

const uni = (at: AssignmentLossAttrs, S: number, particle: number): Uniform[] => [
  ['u32', at.B],
  ['u32', at.P],
  ['u32', at.G],
  ['u32', S],
  ['u32', particle],
  ['u32', 0],
  ['u32', 0],
  ['u32', 0],
];

/**
 * Assignment cross-entropy minimised over the event permutation group (see
 * assignment_loss.wgsl). inputs: targets i32 [G, B, P], then logp [B, S_p] per particle.
 */
export const assignmentNllOp = registerOp<AssignmentLossAttrs>({
  name: 'assignmentNll',
  // targets, then one differentiable slot per particle (16 is far more than any event has)
  differentiable: [false, ...Array<boolean>(16).fill(true)],
  forward(e, [targets, ...logps], at) {
    check(targets, logps, at);
    const { B, P, G } = at;
    const nll = e.empty([G, B, P]);
    logps.forEach((l, p) => {
      e.gpu.dispatch(
        SHADERS.assignmentLoss,
        'gather_nll',
        [targets.buffer, l.buffer, nll.buffer],
        grid1d(G * B, 64),
        uni(at, l.size / B, p),
      );
    });
    const rows = e.empty([2, B]);
    const choice = e.empty([B], 'u32');
    e.gpu.dispatch(
      SHADERS.assignmentLoss,
      'event_min',
      [targets.buffer, nll.buffer, rows.buffer, choice.buffer],
      grid1d(B, 64),
      uni(at, 0, 0),
    );
    const sums = e.empty([2]);
    launchReduce(e.gpu, rows.buffer, sums.buffer, 2, B, 1, 1);
    const loss = e.empty([]);
    e.gpu.dispatch(SHADERS.assignmentLoss, 'ratio', [sums.buffer, loss.buffer], [1]);
    nll.dispose();
    rows.dispose();
    return { output: loss, saved: [choice, sums] };
  },
  backward(e, node, g, needs) {
    const [targets, ...logps] = node.inputs;
    const [choice, sums] = node.saved;
    const at = node.attrs;
    return [
      null,
      ...logps.map((l, p) => {
        if (!needs[p + 1]) return null;
        const d = e.empty(l.shape);
        e.gpu.dispatch(
          SHADERS.assignmentLoss,
          'nll_backward',
          [targets.buffer, choice.buffer, sums.buffer, g.buffer, d.buffer],
          grid1d(l.size, 64),
          uni(at, l.size / at.B, p),
        );
        return d;
      }),
    ];
  },
  reference: (inputs, at) => assignmentNllRef(inputs, at),
});

export function assignmentNll(targets: Tensor<'i32'>, logps: Tensor<'f32'>[], at: AssignmentLossAttrs): Tensor<'f32'> {
  return targets.engine.apply(assignmentNllOp, [targets, ...logps], at) as Tensor<'f32'>;
}

/**
 * Batch assignment accuracy (a metric, never recorded on the tape): the fraction of
 * unmasked particles whose target tuple has the top probability, under the best event
 * permutation. Returns a scalar tensor.
 */
export function assignmentAccuracy(e: Engine, targets: Tensor<'i32'>, logps: Tensor<'f32'>[], at: AssignmentLossAttrs): Tensor<'f32'> {
  check(targets, logps, at);
  const { B, P, G } = at;
  const hit = e.empty([G, B, P]);
  logps.forEach((l, p) => {
    e.gpu.dispatch(
      SHADERS.assignmentLoss,
      'gather_hits',
      [targets.buffer, l.buffer, hit.buffer],
      grid1d(G * B, 64),
      uni(at, l.size / B, p),
    );
  });
  const rows = e.empty([2, B]);
  e.gpu.dispatch(SHADERS.assignmentLoss, 'event_hits', [targets.buffer, hit.buffer, rows.buffer], grid1d(B, 64), uni(at, 0, 0));
  const sums = e.empty([2]);
  launchReduce(e.gpu, rows.buffer, sums.buffer, 2, B, 1, 1);
  const acc = e.empty([]);
  e.gpu.dispatch(SHADERS.assignmentLoss, 'ratio', [sums.buffer, acc.buffer], [1]);
  hit.dispose();
  rows.dispose();
  sums.dispose();
  return acc;
}
