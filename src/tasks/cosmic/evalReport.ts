// One evaluation report for the in-memory and the streamed cosmic runs: the same scalars and figures from the same counts.
import type { EvalResult } from '../types';
import { confusionFigure, eventDisplay, totalConfusion } from './figures';
import { concatConfusion, metricScalars, minibatchMeanScalars, segMetricsFromConfusion, type EmptyImages } from './metrics';
import type { PlaneData } from './planes';

export interface EvalBatch {
  /** Per-image confusion counts [B·P, C·C] of the batch (confusionCounts read back). */
  conf: ArrayLike<number>;
  events: number;
  /** The batch's loss (Σ over planes, as the training loss). */
  loss: number;
}

/**
 * Scalars: `loss` (event-weighted mean of the batch losses), CosmicTagger's names over all test
 * images (Average/…, plane0/… — the per-image mean), and upstream's per-minibatch mean of
 * the averages as minibatch_mean/Average/…. Figures: the per-class confusion matrix and the
 * full-resolution display of `shown` (one event; `title` replaces its heading).
 */
export function cosmicEvalReport(
  batches: EvalBatch[],
  planes: number,
  classes: number,
  emptyImages: EmptyImages,
  shown: { input: PlaneData; predicted: Uint8Array; title?: string },
): EvalResult {
  if (!batches.length) throw new Error('cosmic evaluation: no batches');
  const events = batches.reduce((a, b) => a + b.events, 0);
  const lossSum = batches.reduce((a, b) => a + b.loss * b.events, 0);
  const all = concatConfusion(batches.map((b) => Float64Array.from(b.conf)));
  const metrics = segMetricsFromConfusion(all, events * planes, planes, classes, emptyImages);
  const perBatch = minibatchMeanScalars(
    batches.map((b) => ({ conf: b.conf, images: b.events * planes })),
    planes,
    classes,
    emptyImages,
  );
  const display = eventDisplay(shown.input, shown.predicted, 0);
  if (shown.title) display.title = `${shown.title}: ${display.title.replace(/^test event 0: /, '')}`;
  return {
    scalars: { loss: lossSum / events, ...metricScalars(metrics), ...perBatch },
    figures: [confusionFigure(totalConfusion(all, classes)), display],
  };
}
