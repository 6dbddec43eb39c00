import type { SpanetOutputs } from '../../nn/spanet';
import type { Engine } from '../../tensor/engine';
import { assignmentAccuracy, assignmentNll } from '../../tensor/ops/assignment';
import { add, mul, scale, sub } from '../../tensor/ops/elementwise';
import { softmaxCrossEntropy } from '../../tensor/ops/losses';
import { sumAxes } from '../../tensor/ops/reduceAxes';
import { reshape } from '../../tensor/ops/reshape';
import { slice } from '../../tensor/ops/shape';
import { upstreamSymmetricLoss } from './upstreamLossGpu';
import type { Tensor } from '../../tensor/tensor';
import type { GpuBatch } from './batch';
import type { EventSpec } from './eventSpec';
import type { SpanetConfig } from './spec';

export interface LossScales {
  assignment: number;
  detection: number;
  regression: number;
  classification: number;
  /** 'upstream': SPANet v2's loss (upstreamLossGpu.ts); otherwise the workbench's */
  mode?: 'workbench' | 'upstream';
  focalGamma?: number;
  combinePairLoss?: string;
}

/** The loss weights and switches of a run's config. */
export function lossScales(c: SpanetConfig): LossScales {
  return {
    assignment: c.assignmentScale,
    detection: c.detectionScale,
    regression: c.regressionScale,
    classification: c.classificationScale,
    mode: c.loss === 'upstream' ? 'upstream' : 'workbench',
    focalGamma: c.focalGamma,
    combinePairLoss: c.combinePairLoss,
  };
}

export interface SpanetLoss {
  loss: Tensor<'f32'>;
  terms: Record<string, Tensor<'f32'>>;
}

/**
 * SPANet's combined objective: assignment cross-entropy minimised over the event
 * permutation group (missing truth masked), detection cross-entropy, regression squared
 * error in normalised units (per target over the events that have a value, as upstream's
 * gaussian loss, summed over targets) and classification cross-entropy, each with its scale.
 */
export function spanetLoss(e: Engine, out: SpanetOutputs, batch: GpuBatch, spec: EventSpec, s: LossScales): SpanetLoss {
  if (s.mode === 'upstream') return upstreamSpanetLoss(out, batch, spec, s);
  const at = { B: batch.host.B, P: spec.particles.length, G: spec.eventPerms.length };
  const terms: Record<string, Tensor<'f32'>> = {};
  terms.assignment = assignmentNll(batch.targets, out.logProbs, at);
  terms.detection = softmaxCrossEntropy(out.detectionLogits, batch.detection);
  let loss = add(scale(terms.assignment, s.assignment), scale(terms.detection, s.detection));
  if (out.regression) {
    // upstream: per target, the mean over events that have a value (NaN masked), summed over targets
    const diff = sub(out.regression, batch.regressions);
    terms.regression = sumAxes(mul(mul(diff, diff), batch.regressionWeights));
    loss = add(loss, scale(terms.regression, s.regression));
  }
  out.classLogits.forEach((logits, i) => {
    const t = softmaxCrossEntropy(logits, batch.classes[i]);
    terms[`classification ${spec.classifications[i]}`] = t;
    loss = add(loss, scale(t, s.classification));
  });
  return { loss, terms };
}

/** Batch assignment accuracy (argmax per particle, best event permutation); a metric only. */
export function batchAccuracy(e: Engine, out: SpanetOutputs, batch: GpuBatch, spec: EventSpec): Tensor<'f32'> {
  return assignmentAccuracy(e, batch.targets, out.logProbs, { B: batch.host.B, P: spec.particles.length, G: spec.eventPerms.length });
}

/**
 * SPANet v2's training_step loss: per particle assignment and detection terms over the
 * permuted targets, per target masked regression means and classification cross-entropies,
 * each scaled; the loss is the mean of the terms whose scale is > 0.
 */
function upstreamSpanetLoss(out: SpanetOutputs, batch: GpuBatch, spec: EventSpec, s: LossScales): SpanetLoss {
  const B = batch.host.B,
    P = spec.particles.length;
  const dl = reshape(out.detectionLogits, [B, P, 2]);
  const z = sub(slice(dl, 2, 1, 2), slice(dl, 2, 0, 1)); // BCE logit of "reconstructable"
  const zs = spec.particles.map((_, p) => reshape(slice(z, 1, p, p + 1), [B]));
  const o = {
    assignment_loss_scale: s.assignment,
    detection_loss_scale: s.detection,
    regression_loss_scale: s.regression,
    classification_loss_scale: s.classification,
    focal_gamma: s.focalGamma ?? 0,
    combine_pair_loss: s.combinePairLoss ?? 'min',
  };
  const r = upstreamSymmetricLoss(
    out.logProbs,
    zs,
    spec.particles.map((p) => p.productPerms.length),
    batch.permuted,
    o,
  );
  const terms: Record<string, Tensor<'f32'>> = {};
  const active: Tensor<'f32'>[] = [];
  spec.particles.forEach((p, i) => {
    terms[`assignment ${p.name}`] = r.assignment[i];
    terms[`detection ${p.name}`] = r.detection[i];
  });
  if (s.assignment > 0) active.push(...r.assignment);
  if (s.detection > 0) active.push(...r.detection);
  terms.assignment = r.assignment.reduce((a, b) => add(a, b));
  terms.detection = r.detection.reduce((a, b) => add(a, b));
  if (out.regression) {
    const diff = sub(out.regression, batch.regressions);
    const perTarget = sumAxes(mul(mul(diff, diff), batch.regressionWeights), 0);
    spec.regressions.forEach((name, i) => {
      const t = reshape(slice(perTarget, 0, i, i + 1), []);
      terms[`regression ${name}`] = t;
      if (s.regression > 0) active.push(scale(t, s.regression));
    });
    terms.regression = sumAxes(perTarget);
  }
  out.classLogits.forEach((logits, i) => {
    const t = softmaxCrossEntropy(logits, batch.classes[i]);
    terms[`classification ${spec.classifications[i]}`] = t;
    if (s.classification > 0) active.push(scale(t, s.classification));
  });
  if (!active.length) throw new Error('every loss scale is 0: nothing to train');
  return {
    loss: scale(
      active.reduce((a, b) => add(a, b)),
      1 / active.length,
    ),
    terms,
  };
}
