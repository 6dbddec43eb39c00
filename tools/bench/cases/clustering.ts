import { clusteringTask } from '../../../src/tasks/clustering/task';
import { Trainer } from '../../../src/train/trainer';
import type { BenchContext, PreparedCase } from '../context';

/** Steps between metric readbacks: above any sample's step count, so only settle() reads. */
const RING_STEPS = 256;

/**
 * One training step of the clustering task (per-hit MLP, kNN message passing, OC loss,
 * guarded AdamW) exactly as the app's Trainer records it: about a hundred dispatches in one
 * submit. Ours only: tfjs has no kNN message passing or fused OC loss to compare with; the
 * case is here for the per-step CPU recording cost of a many-kernel step.
 */
export async function prepareClustering({ engine: e }: BenchContext, eventsPerBatch: number, hidden: number): Promise<PreparedCase> {
  const config = { ...clusteringTask.defaults, eventsPerBatch, hidden };
  const run = await clusteringTask.create(e, config);
  const trainer = new Trainer(e, run, { lr: clusteringTask.optimizer?.lr ?? 1e-2 }, RING_STEPS);
  const settle = async () => {
    await trainer.flush();
    await e.gpu.finish();
  };
  return {
    id: `clustering-${eventsPerBatch}-${hidden}`,
    label: `Clustering train step, ${eventsPerBatch} events per batch, hidden ${hidden} (ours only)`,
    flops: 0,
    ours: { step: () => trainer.trainStep(), settle },
    tfjs: null,
    skipped: { tfjs: 'no tfjs twin: kNN message passing and the OC loss exist only in ours' },
    items: { count: eventsPerBatch, unit: 'events' },
    async check() {
      for (let i = 0; i < 3; i++) trainer.trainStep();
      const losses = (await trainer.flush()).map((p) => p.values.loss);
      const ok = losses.length === 3 && losses.every(Number.isFinite);
      return { ok, detail: `ours only: loss over 3 steps ${losses.map((x) => x.toPrecision(3)).join(', ')}${ok ? '' : ' (not finite)'}` };
    },
    dispose() {
      trainer.dispose();
    },
  };
}
