/**
 * CosmicTagger's segmentation metrics (torch_trainer._calculate_accuracy). Per image (one
 * plane of one event):
 *   accuracy            correct / counted pixels
 *   non-background acc. Σ correct·[label ≠ 0] / Σ [label ≠ 0]
 *   IoU of class k      |pred = k ∧ label = k| / |pred = k ∨ label = k|   (1 when the union is empty)
 * Per plane: accuracy over all pixels of the images (= the image mean, images being equal in
 * size), the others averaged over images; mIoU = mean IoU over the non-background classes.
 * Averages over planes. An image without labelled pixels has no non-background accuracy:
 *   emptyImages "skip" (ours): left out of its plane's mean; a plane with none is left out of
 *     the average, which is 1 if no plane has one (nothing to get wrong);
 *   emptyImages "nan" (upstream): 0/0 = NaN, which makes its plane's mean and the average NaN.
 * Everything derives from per-image confusion counts [label, prediction], which the GPU
 * produces (shaders/seg_metrics.wgsl); confusionRef is their pixel-level reference.
 */
export type EmptyImages = 'skip' | 'nan';
export const EMPTY_IMAGES: readonly EmptyImages[] = ['skip', 'nan'];

export function parseEmptyImages(name: string): EmptyImages {
  if (!(EMPTY_IMAGES as readonly string[]).includes(name))
    throw new Error(`nonbg_empty must be one of ${EMPTY_IMAGES.join(', ')}, got "${name}"`);
  return name as EmptyImages;
}

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
export function segMetricsFromConfusion(
  conf: ArrayLike<number>,
  N: number,
  P: number,
  C: number,
  emptyImages: EmptyImages = 'skip',
): SegMetrics {
  const B = N / P;
  const cell = (n: number, l: number, q: number) => conf[(n * C + l) * C + q];
  const perPlane: PlaneMetrics[] = [];
  for (let p = 0; p < P; p++) {
    let correct = 0;
    let total = 0;
    let nbSum = 0;
    let nbImages = 0;
    let emptyImagesSeen = 0;
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
      } else emptyImagesSeen++;
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
      nonbgAccuracy: nbImages > 0 && !(emptyImages === 'nan' && emptyImagesSeen > 0) ? nbSum / nbImages : NaN,
      iou: planeIou,
      miou: planeIou.reduce((a, v) => a + v, 0) / (C - 1),
    });
  }
  const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
  const labelledPlanes = perPlane.filter((m) => !Number.isNaN(m.nonbgAccuracy));
  const average: PlaneMetrics = {
    accuracy: mean(perPlane.map((m) => m.accuracy)),
    nonbgAccuracy:
      emptyImages === 'nan'
        ? mean(perPlane.map((m) => m.nonbgAccuracy))
        : labelledPlanes.length
          ? mean(labelledPlanes.map((m) => m.nonbgAccuracy))
          : 1,
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

/** CosmicTagger's names of the foreground classes (Average/Cosmic_IoU, Average/Neutrino_IoU). */
export const UPSTREAM_CLASS_NAMES = ['Cosmic', 'Neutrino'];

/** "cosmic" → "Cosmic": class names in upstream's spelling, whichever case they are given in. */
const upstreamSpelling = (c: string) => c.charAt(0).toUpperCase() + c.slice(1);

/** The scalar names of one plane-metrics record under a prefix ("Average/", "plane0/"). */
export function metricNames(prefix: string, classNames: string[] = UPSTREAM_CLASS_NAMES): string[] {
  return [
    `${prefix}Total_Accuracy`,
    `${prefix}Non_Bkg_Accuracy`,
    ...classNames.map((c) => `${prefix}${upstreamSpelling(c)}_IoU`),
    `${prefix}mIoU`,
  ];
}

function flat(pm: PlaneMetrics, prefix: string, classNames: string[]): Record<string, number> {
  const names = metricNames(prefix, classNames);
  const values = [pm.accuracy, pm.nonbgAccuracy, ...pm.iou, pm.miou];
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

/** CosmicTagger's scalar names: Average/Total_Accuracy, …, plane0/Cosmic_IoU, …, plane2/mIoU. */
export function metricScalars(m: SegMetrics, classNames: string[] = UPSTREAM_CLASS_NAMES): Record<string, number> {
  const out = flat(m.average, 'Average/', classNames);
  m.perPlane.forEach((pm, p) => Object.assign(out, flat(pm, `plane${p}/`, classNames)));
  return out;
}

/**
 * Upstream's way over several minibatches (inference_report, and the mean over
 * gradient-accumulation minibatches): each minibatch's metrics, then their plain mean. Differs
 * from the per-image mean over all images when minibatches differ in size, and in how a
 * minibatch without labelled pixels counts. Names as metricScalars under `prefix`.
 */
export function minibatchMeanScalars(
  batches: { conf: ArrayLike<number>; images: number }[],
  P: number,
  C: number,
  emptyImages: EmptyImages,
  prefix = 'minibatch_mean/',
  classNames: string[] = UPSTREAM_CLASS_NAMES,
): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const b of batches) {
    const m = segMetricsFromConfusion(b.conf, b.images, P, C, emptyImages);
    for (const [k, v] of Object.entries(flat(m.average, 'Average/', classNames))) sums[k] = (sums[k] ?? 0) + v;
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [`${prefix}${k}`, v / batches.length]));
}
