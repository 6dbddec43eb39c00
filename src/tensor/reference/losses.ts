import type { RefTensor } from '../registry';

export function mseRef(pred: RefTensor, target: RefTensor): RefTensor {
  let s = 0;
  for (let i = 0; i < pred.data.length; i++) s += (pred.data[i] - target.data[i]) ** 2;
  return { data: new Float64Array([s / pred.data.length]), shape: [] };
}

/** Weighted mean of -log softmax(z)[y] over rows; negative labels are ignored. */
export function softmaxCrossEntropyRef(logits: RefTensor, labels: RefTensor, classWeights: RefTensor | null): RefTensor {
  const C = logits.shape[logits.shape.length - 1];
  const R = logits.data.length / C;
  let num = 0;
  let den = 0;
  for (let r = 0; r < R; r++) {
    const y = labels.data[r];
    if (y < 0) continue;
    const w = classWeights ? classWeights.data[y] : 1;
    if (w === 0) continue;
    const row = logits.data.subarray(r * C, r * C + C);
    const m = Math.max(...row);
    let s = 0;
    for (const z of row) s += Math.exp(z - m);
    num += w * (m + Math.log(s) - row[y]);
    den += w;
  }
  return { data: new Float64Array([den > 0 ? num / den : 0]), shape: [] };
}
