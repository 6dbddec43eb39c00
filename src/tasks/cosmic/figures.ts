import type { EvalFigure } from '../types';
import type { PlaneData } from './planes';

export const CLASS_NAMES = ['background', 'cosmic', 'neutrino'];

/**
 * The event display of one test event at full resolution: input charge, true and predicted
 * labels, each [planes, H, W] (the page draws them to canvases with zoom and pan; a plotly
 * heatmap of a 1280×2048 plane would be millions of cells).
 */
export function eventDisplay(input: PlaneData, predicted: Uint8Array, event: number): EvalFigure {
  const { planes, height, width } = input;
  const per = planes * height * width;
  if (predicted.length !== per) throw new Error(`eventDisplay: ${predicted.length} predicted labels for ${planes}×${height}×${width}`);
  return {
    id: 'cosmic-event',
    title: `test event ${event}: planes 0 | 1 | 2 at full resolution (${height} time × ${width} wire; wheel zooms, drag pans, double-click resets)`,
    kind: 'planes',
    xLabel: 'wire',
    yLabel: 'time',
    planes: {
      count: planes,
      height,
      width,
      layers: [
        { id: 'cosmic-input', name: 'input charge', values: input.images.slice(event * per, (event + 1) * per), scale: 'charge' },
        {
          id: 'cosmic-truth',
          name: 'true labels',
          values: Uint8Array.from(input.labels.subarray(event * per, (event + 1) * per)),
          scale: 'labels',
        },
        { id: 'cosmic-prediction', name: 'predicted labels', values: predicted, scale: 'labels' },
      ],
    },
  };
}

/** Confusion counts [C, C] (label-major) summed over per-image counts [N, C, C]. */
export function totalConfusion(conf: ArrayLike<number>, C: number): number[][] {
  const out = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < conf.length; i++) out[Math.floor(i / C) % C][i % C] += conf[i];
  return out;
}

/**
 * The per-class confusion matrix of the test set: colour = row-normalised (the fraction of
 * each true class predicted as each class; rows sum to 1), text = fraction and count.
 */
export function confusionFigure(total: number[][], classNames: string[] = CLASS_NAMES): EvalFigure {
  const normalised = total.map((row) => {
    const s = row.reduce((a, v) => a + v, 0);
    return row.map((v) => (s > 0 ? v / s : 0));
  });
  return {
    id: 'cosmic-confusion',
    title: 'test set confusion (rows: true class, normalised; counts in brackets)',
    kind: 'heatmap',
    z: normalised,
    text: normalised.map((row, i) => row.map((v, j) => `${v.toFixed(3)} (${total[i][j].toLocaleString('en-US')})`)),
    xCategories: classNames,
    yCategories: classNames,
    xLabel: 'predicted',
    yLabel: 'true',
  };
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

/** The display of one event as the figure list of an evaluation (kept for callers of the earlier three heatmaps). */
export function eventFigures(input: PlaneData, predicted: Uint8Array, event: number): EvalFigure[] {
  return [eventDisplay(input, predicted, event)];
}
