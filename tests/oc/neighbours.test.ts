/** The clustering task's neighbour-mean op against its f64 reference (tolerances: a mean of
 *  ≤ 4 f32 values is exact to ~1e-7 relative; the backward sums ≤ N terms). */
import { describe, expect, it } from 'vitest';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { testEngine } from '../helpers/engine';
import { uniform } from '../helpers/random';
import { knnGraph, neighbourMeanOp, uploadGraph } from '../../src/tasks/clustering/neighbours';

describe('neighbourMean', () => {
  it('matches the reference in value and gradient (2 events, k = 3)', async () => {
    const e = await testEngine();
    const pos = Float32Array.from(uniform(30 * 2, 3));
    const host = knnGraph(pos, 2, [0, 12, 30], 3);
    expect(host.offsets[30]).toBe(90);
    // neighbours stay inside their event
    for (let i = 0; i < 12; i++) for (let a = host.offsets[i]; a < host.offsets[i + 1]; a++) expect(host.neighbours[a]).toBeLessThan(12);
    const graph = uploadGraph(e, host);
    const h = ref(uniform(30 * 5, 4), [30, 5]);
    await checkForward(e, neighbourMeanOp, [h], { graph }, 1e-6, 1e-6);
    await checkGradient(e, neighbourMeanOp, [h], { graph }, 1e-4, 1e-5);
    graph.dispose();
  });
});
