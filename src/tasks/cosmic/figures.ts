import type { EvalFigure } from '../types';
import { downsamplePlanes, sliceEvents, type PlaneData } from './planes';

/** Largest image side shown; bigger planes are pooled (images averaged, labels max-pooled). */
const MAX_SIDE = 192;

/** Planes of one event side by side: z[row] = plane 0 | gap | plane 1 | gap | plane 2. */
function sideBySide(values: ArrayLike<number>, planes: number, H: number, W: number): (number | null)[][] {
  return Array.from({ length: H }, (_, r) => {
    const row: (number | null)[] = [];
    for (let p = 0; p < planes; p++) {
      if (p) row.push(null);
      for (let c = 0; c < W; c++) row.push(values[(p * H + r) * W + c]);
    }
    return row;
  });
}

/**
 * The three eval figures of one event: input charge, truth labels and predicted labels,
 * each with the planes side by side (heatmaps; plotly provides zoom).
 */
export function eventFigures(input: PlaneData, predicted: Uint8Array, event: number): EvalFigure[] {
  let ev = sliceEvents(input, event, event + 1);
  let pred: PlaneData = { ...ev, labels: predicted };
  let k = 0;
  while (ev.height / 2 ** k > MAX_SIDE && ev.height % 2 ** (k + 1) === 0 && ev.width % 2 ** (k + 1) === 0) k++;
  if (k) {
    ev = downsamplePlanes(ev, k);
    pred = downsamplePlanes(pred, k);
  }
  const { planes, height: H, width: W } = ev;
  const note = k ? ` (shown at 1/${2 ** k})` : '';
  const fig = (id: string, title: string, v: ArrayLike<number>): EvalFigure => ({
    id,
    title: `${title}, planes 0 | 1 | 2${note}`,
    kind: 'heatmap',
    z: sideBySide(v, planes, H, W) as number[][],
    xLabel: 'wire',
    yLabel: 'time',
  });
  return [
    fig('cosmic-input', `test event ${event}: input charge`, ev.images),
    fig('cosmic-truth', `test event ${event}: true labels (0 bkg, 1 cosmic, 2 ν)`, ev.labels),
    fig('cosmic-prediction', `test event ${event}: predicted labels`, pred.labels),
  ];
}

/** Argmax over classes of NCHW logits [N, C, HW] → labels [N, HW]. */
export function argmaxLabels(logits: Float32Array, N: number, C: number, HW: number): Uint8Array {
  const out = new Uint8Array(N * HW);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < HW; q++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[(n * C + c) * HW + q] > logits[(n * C + best) * HW + q]) best = c;
      out[n * HW + q] = best;
    }
  }
  return out;
}
