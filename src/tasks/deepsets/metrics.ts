// Test-set metrics (computed in f64 on the host from read-back predictions) and the padding
// report of describe().
import type { Packing } from '../../data/packing';

export function regressionMetrics(pred: Float32Array, truth: Float32Array): { mse: number } {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (pred[i] - truth[i]) ** 2;
  return { mse: s / Math.max(1, truth.length) };
}

export function classificationMetrics(logits: Float32Array, labels: Int32Array, classes: number) {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let xent = 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
    const m = row[best];
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    xent += m + Math.log(z) - row[labels[i]];
    if (best === labels[i]) correct++;
    confusion[labels[i]][best]++;
  }
  const n = Math.max(1, labels.length);
  return { crossEntropy: xent / n, accuracy: correct / n, confusion };
}

const pct = (f: number) => `${(100 * f).toFixed(1)}%`;

/** "2 blocks × 8192 elements × 57 set slots; padding: 6.1% of element rows (per block …)". */
export function describePadding(p: Packing, requestedCapacity: number): string {
  const raised = p.capacity > requestedCapacity ? ` (raised from ${requestedCapacity} to fit the largest set)` : '';
  const perBlock =
    p.perBlock
      .slice(0, 8)
      .map((b) => pct(b.elements))
      .join(', ') + (p.perBlock.length > 8 ? ', …' : '');
  return (
    `${p.blocks.length} training block${p.blocks.length === 1 ? '' : 's'} of ${p.capacity} elements${raised} × ${p.maxSets} set slots; ` +
    `padding: ${pct(p.overall.elements)} of element rows (per block ${perBlock}), ${pct(p.overall.sets)} of set slots`
  );
}
