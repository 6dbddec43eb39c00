import type { TaskRun } from '../types';
import type { Adam } from '../../train/adam';
import type { Engine } from '../../tensor/engine';
import { scale } from '../../tensor/ops/elementwise';
import type { Tensor } from '../../tensor/tensor';

/**
 * One optimiser step over `micro` micro-batches (CosmicTagger's gradient_accumulation): each
 * micro-batch is recorded, back-propagated and submitted on its own, so only one micro-batch
 * of activations is alive at a time; the gradients are summed on the GPU and Adam applies
 * their mean. Micro-batch m of step s is the run's batch s·micro + m. Returns the mean loss
 * as a GPU scalar (the caller reads it when it likes).
 *
 * The generic Trainer does one batch per step; to offer accumulation it would call this in
 * place of its own tape/backward/update when a run asks for more than one micro-batch.
 */
export function accumulatedStep(e: Engine, run: TaskRun, opt: Adam, step: number, micro: number): Tensor<'f32'> {
  const params = run.parameters();
  let sums: (Tensor<'f32'> | null)[] = params.map(() => null);
  let lossSum: Tensor<'f32'> | null = null;
  for (let m = 0; m < micro; m++) {
    [sums, lossSum] = e.scope(() => {
      const tape = e.beginTape();
      let loss: Tensor<'f32'>;
      try {
        loss = run.trainStep(step * micro + m).loss;
        tape.backward(loss);
      } finally {
        e.endTape();
      }
      const next = params.map((p, i) => {
        const g = p.grad;
        p.grad = null;
        if (!g) return sums[i];
        const prev = sums[i];
        return prev ? e.addInto(prev, g) : g;
      });
      const total = lossSum ? e.addInto(lossSum, loss) : loss;
      for (const t of [...next, total]) t?.keep();
      sums.forEach((s, i) => s && s !== next[i] && s.dispose());
      if (lossSum && lossSum !== total) lossSum.dispose();
      return [next, total] as [(Tensor<'f32'> | null)[], Tensor<'f32'>];
    });
    // Submitting lets the pool reuse this micro-batch's activations for the next one.
    e.gpu.submit();
  }
  params.forEach((p, i) => (p.grad = sums[i]));
  opt.update(1 / micro);
  for (const s of sums) s?.dispose();
  const mean = scale(lossSum!, 1 / micro).keep();
  lossSum!.dispose();
  return mean;
}
