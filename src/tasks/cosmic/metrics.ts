/**
 * CosmicTagger's segmentation metrics. Per image (one plane of one event):
 *   accuracy            correct / counted pixels
 *   non-background acc. Σ correct·[label ≠ 0] / Σ [label ≠ 0]   (images without labels skipped)
 *   IoU of class k      |pred = k ∧ label = k| / |pred = k ∨ label = k|   (1 when the union is empty)
 * Per plane: accuracy over all pixels of the batch (= the image mean, images being equal in
 * size), the others averaged over images; mIoU = mean IoU over the non-background classes.
 * Averages over planes; a plane whose images all lack labels is left out of the
 * non-background average, which is 1 if no plane has labels (nothing to get wrong).
 * Everything derives from per-image confusion counts [label, prediction], which the GPU
 * produces (shaders/seg_metrics.wgsl); confusionRef is their pixel-level reference.
 */
export interface PlaneMetrics {
  accuracy: number;
  nonbgAccuracy: number;
  /** IoU of classes 1 .. C-1 (cosmic, neutrino). */
  iou: number[];
  miou: number;
}

export interface SegMetrics {
  perPlane: PlaneMetrics[];
  average: PlaneMetrics;
}

/** Confusion counts [N, C, C] (label-major) from NCHW logits and labels [N, HW]. */
export function confusionRef(logits: ArrayLike<number>, labels: ArrayLike<number>, N: number, C: number, HW: number): Float64Array {
  const conf = new Float64Array(N * C * C);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < HW; q++) {
      const y = labels[n * HW + q];
      if (y < 0 || y >= C) continue;
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[(n * C + c) * HW + q] > logits[(n * C + best) * HW + q]) best = c;
      conf[(n * C + y) * C + best]++;
    }
  }
  return conf;
}

/** Metrics of images n = b·P + p from confusion counts [N, C, C]. */
export function segMetricsFromConfusion(conf: ArrayLike<number>, N: number, P: number, C: number): SegMetrics {
  const B = N / P;
  const cell = (n: number, l: number, q: number) => conf[(n * C + l) * C + q];
  const perPlane: PlaneMetrics[] = [];
  for (let p = 0; p < P; p++) {
    let correct = 0;
    let total = 0;
    let nbSum = 0;
    let nbImages = 0;
    const iou = new Array<number>(C - 1).fill(0);
    for (let b = 0; b < B; b++) {
      const n = b * P + p;
      let labelled = 0;
      let labelledCorrect = 0;
      for (let l = 0; l < C; l++) {
        for (let q = 0; q < C; q++) {
          const v = cell(n, l, q);
          total += v;
          if (l === q) correct += v;
          if (l !== 0) {
            labelled += v;
            if (l === q) labelledCorrect += v;
          }
        }
      }
      if (labelled > 0) {
        nbSum += labelledCorrect / labelled;
        nbImages++;
      }
      for (let c = 1; c < C; c++) {
        let row = 0;
        let col = 0;
        for (let j = 0; j < C; j++) {
          row += cell(n, c, j);
          col += cell(n, j, c);
        }
        const inter = cell(n, c, c);
        const union = row + col - inter;
        iou[c - 1] += union > 0 ? inter / union : 1;
      }
    }
    const planeIou = iou.map((v) => v / B);
    perPlane.push({
      accuracy: total > 0 ? correct / total : 1,
      nonbgAccuracy: nbImages > 0 ? nbSum / nbImages : NaN,
      iou: planeIou,
      miou: planeIou.reduce((a, v) => a + v, 0) / (C - 1),
    });
  }
  const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
  const labelledPlanes = perPlane.filter((m) => !Number.isNaN(m.nonbgAccuracy));
  const average: PlaneMetrics = {
    accuracy: mean(perPlane.map((m) => m.accuracy)),
    nonbgAccuracy: labelledPlanes.length ? mean(labelledPlanes.map((m) => m.nonbgAccuracy)) : 1,
    iou: Array.from({ length: C - 1 }, (_, k) => mean(perPlane.map((m) => m.iou[k]))),
    miou: mean(perPlane.map((m) => m.miou)),
  };
  return { perPlane, average };
}

/** Adds the counts of another batch (confusion matrices of more images) to a list. */
export function concatConfusion(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Flat scalar names: the averages as CosmicTagger's Average/*, and per plane with a prefix. */
export function metricScalars(m: SegMetrics, classNames: string[] = ['cosmic', 'neutrino']): Record<string, number> {
  const flat = (pm: PlaneMetrics, prefix: string): Record<string, number> => {
    const out: Record<string, number> = {
      [`${prefix}accuracy`]: pm.accuracy,
      [`${prefix}nonbg_accuracy`]: pm.nonbgAccuracy,
      [`${prefix}miou`]: pm.miou,
    };
    pm.iou.forEach((v, k) => (out[`${prefix}${classNames[k] ?? `class${k + 1}`}_iou`] = v));
    return out;
  };
  const out = flat(m.average, '');
  m.perPlane.forEach((pm, p) => Object.assign(out, flat(pm, `plane${p}_`)));
  return out;
}
