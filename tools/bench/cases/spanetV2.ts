/**
 * SPANet v2 WHOLE-NETWORK training step (not like for like: tfjs runs a smaller network; the
 * like-for-like encoder ratio is cases/spanetV2Encoder.ts) at upstream's own tt̄
 * configuration: the SPANet task with the
 * `spanet-v2` model (upstream's JetReconstructionNetwork and training loss) built from
 * upstream's options_files/full_hadronic_ttbar/example.json (hidden 64, 10 GRU embedding
 * layers, 6 gated encoder layers, 4 heads, split symmetric attention, batch 32) and
 * event_files/full_hadronic_ttbar.yaml, on synthetic tt̄ events, stepped by the app's Trainer
 * (AdamW, guard). tfjs has no twin of the whole network; its side is the encoder of the
 * SPANet encoder case at the same width, depth, heads and batch (pre-norm, GELU), which is a
 * part of the work ours does, so the ratio understates our lead. The check compares that tfjs
 * encoder with our own encoder of the same weights (prepareSpanetEncoder) and runs 3 of
 * our full steps.
 */
import optionsJson from '../../../tests/fixtures/spanet-upstream/options_files/full_hadronic_ttbar/example.json?raw';
import eventYaml from '../../../tests/fixtures/spanet-upstream/event_files/full_hadronic_ttbar.yaml?raw';
import { spanetTask } from '../../../src/tasks/spanet/task';
import { Trainer } from '../../../src/train/trainer';
import type { BenchContext, PreparedCase } from '../context';
import type { CaseSpec } from '../types';
import { prepareSpanetEncoder } from './spanet';
import { workgroupSoftmaxVariant } from '../softmaxVariant';

/** Steps between metric readbacks: above any sample's step count, so only settle() reads. */
const RING_STEPS = 256;
/** upstream's example: batch_size 32, 6 encoder layers of transformer_dim 64, 4 heads */
const UPSTREAM = { batch: 32, layers: 6, width: 64, heads: 4 };

type SpanetV2Spec = Extract<CaseSpec, { kind: 'spanet-v2' }>;

export async function prepareSpanetV2(ctx: BenchContext, spec: SpanetV2Spec): Promise<PreparedCase> {
  const e = ctx.engine;
  const B = spec.events ?? UPSTREAM.batch;
  const config = { ...spanetTask.defaults, model: 'spanet-v2', optionsJson, eventYaml, batchSize: B, demoEvents: Math.max(4 * B, 64) };
  const run = await spanetTask.create(e, config);
  const trainer = new Trainer(e, run, { lr: 1.5e-3, weightDecay: 2e-4 }, RING_STEPS);
  const jets = spec.jets ?? 10;
  const encoder = await prepareSpanetEncoder(ctx, { kind: 'spanet', events: B, jets, ...UPSTREAM });
  const settle = async () => {
    await trainer.flush();
    await e.gpu.finish();
  };
  const ourSide = { step: () => trainer.trainStep(), settle };
  return {
    id: `spanet-v2-${B}`,
    label: `SPANet v2 whole-network train step, upstream full_hadronic_ttbar options, ${B} events (not like for like: tfjs runs only a ${UPSTREAM.layers}×${UPSTREAM.width} pre-norm encoder)`,
    flops: 0,
    ours: ourSide,
    variants: [workgroupSoftmaxVariant(ourSide)],
    tfjs: encoder.tfjs,
    items: { count: B, unit: 'events' },
    async check() {
      const enc = await encoder.check();
      for (let i = 0; i < 3; i++) trainer.trainStep();
      const losses = (await trainer.flush()).map((p) => p.values.loss);
      const finite = losses.length === 3 && losses.every(Number.isFinite);
      return {
        ok: enc.ok && finite,
        detail: `tfjs encoder vs ours: ${enc.detail}; ours spanet-v2 loss over 3 steps ${losses.map((x) => x.toPrecision(4)).join(', ')}${finite ? '' : ' (not finite)'}`,
      };
    },
    dispose() {
      trainer.dispose(); // and the run
      encoder.dispose();
    },
  };
}
