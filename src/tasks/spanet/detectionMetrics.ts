/**
 * SPANet v2's detection metrics (JetReconstructionValidation.particle_metrics): scikit-learn's
 * accuracy_score, recall_score (sensitivity), recall of the negatives (specificity) and
 * f1_score on every (particle, event) pair, targets = the masks permuted by the chosen event
 * permutation (jetAccuracy.ts), predictions = detection probability ≥ 0.5. A ratio with a zero
 * denominator is 0, as scikit-learn's zero_division="warn"; F1 is 2·P·R / (P + R) from
 * precision and recall, in scikit-learn's order of operations.
 */
export interface DetectionMetrics {
  'particle/accuracy': number;
  'particle/sensitivity': number;
  'particle/specificity': number;
  'particle/f_score': number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** `targets[p][e]` 1 = present; `probabilities[p][e]` the detection probability. */
export function detectionMetrics(targets: ArrayLike<number>[], probabilities: ArrayLike<number>[]): DetectionMetrics {
  let tp = 0,
    tn = 0,
    fp = 0,
    fn = 0;
  targets.forEach((t, p) => {
    for (let e = 0; e < t.length; e++) {
      const truth = !!t[e];
      const said = probabilities[p][e] >= 0.5;
      if (truth && said) tp++;
      else if (truth) fn++;
      else if (said) fp++;
      else tn++;
    }
  });
  const n = tp + tn + fp + fn;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const denom = precision + recall;
  return {
    // accuracy of an empty set: numpy's mean of nothing
    'particle/accuracy': n ? (tp + tn) / n : NaN,
    'particle/sensitivity': recall,
    'particle/specificity': ratio(tn, tn + fp),
    'particle/f_score': (2 * precision * recall) / (denom === 0 ? 1 : denom),
  };
}
