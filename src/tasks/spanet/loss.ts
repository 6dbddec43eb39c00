import type { SpanetOutputs } from '../../nn/spanet';
import type { Engine } from '../../tensor/engine';
import { assignmentAccuracy, assignmentNll } from '../../tensor/ops/assignment';
import { add, mul, scale, sub } from '../../tensor/ops/elementwise';
import { softmaxCrossEntropy } from '../../tensor/ops/losses';
import { sumAxes } from '../../tensor/ops/reduceAxes';
import type { Tensor } from '../../tensor/tensor';
import type { GpuBatch } from './batch';
import type { EventSpec } from './eventSpec';

export interface LossScales { assignment: number; detection: number; regression: number; classification: number }

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
