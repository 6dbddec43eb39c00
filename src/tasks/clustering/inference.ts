/**
 * Object condensation inference and clustering metrics (host side, after a readback).
 * Inference: hits in decreasing β; a hit with β > tBeta that is not yet assigned becomes a
 * condensation point, and every unassigned hit within tD of it in the latent space joins its
 * cluster. Hits left over are unassigned (predicted noise, -1).
 */
export function condense(beta: ArrayLike<number>, coords: ArrayLike<number>, dims: number, tBeta: number, tD: number): Int32Array {
  const n = beta.length;
  const label = new Int32Array(n).fill(-1);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => beta[b] - beta[a] || a - b);
  let next = 0;
  for (const a of order) {
    if (beta[a] <= tBeta) break;
    if (label[a] >= 0) continue;
    const c = next++;
    for (let j = 0; j < n; j++) {
      if (label[j] >= 0) continue;
      let d2 = 0;
      for (let k = 0; k < dims; k++) d2 += (coords[j * dims + k] - coords[a * dims + k]) ** 2;
      if (d2 <= tD * tD) label[j] = c;
    }
  }
  return label;
}

export interface ClusterCounts {
  /** Truth objects (id > 0). */
  objects: number;
  /** Objects matched by double majority: a cluster holds > 50 % of the object's hits and the
   *  object makes up > 50 % of that cluster. */
  matched: number;
  /** Objects recovered with ≥ 90 % of their hits in one cluster that is ≤ 10 % foreign. */
  perfect: number;
  /** Predicted clusters, and the sum over them of (hits of the majority object / size). */
  clusters: number;
  puritySum: number;
}

export function clusterCounts(truth: ArrayLike<number>, pred: ArrayLike<number>): ClusterCounts {
  const objSize = new Map<number, number>();
  const clusterSize = new Map<number, number>();
  const overlap = new Map<string, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] > 0 ? truth[i] : 0;
    if (t > 0) objSize.set(t, (objSize.get(t) ?? 0) + 1);
    if (pred[i] >= 0) {
      clusterSize.set(pred[i], (clusterSize.get(pred[i]) ?? 0) + 1);
      const key = `${pred[i]}:${t}`;
      overlap.set(key, (overlap.get(key) ?? 0) + 1);
    }
  }
  let matched = 0,
    perfect = 0,
    puritySum = 0;
  const best = new Map<number, number>();
  for (const [key, count] of overlap) {
    const [c, t] = key.split(':').map(Number);
    best.set(c, Math.max(best.get(c) ?? 0, count));
    if (t === 0) continue;
    const size = clusterSize.get(c)!;
    const obj = objSize.get(t)!;
    if (count > 0.5 * obj && count > 0.5 * size) matched++;
    if (count >= 0.9 * obj && size - count <= 0.1 * size) perfect++;
  }
  for (const [c, size] of clusterSize) puritySum += best.get(c)! / size;
  return { objects: objSize.size, matched, perfect, clusters: clusterSize.size, puritySum };
}
