/**
 * Runs overlaid on the live chart (src/ui/runs/overlay.ts) and the chart's SVG export
 * (src/ui/runs/chartExport.ts): plain functions of the stored rows, checked without a page.
 */
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../../src/runs/metricsLog';
import { chartSvg, niceTicks } from '../../src/ui/runs/chartExport';
import { evalX, overlayMetricNames, rowsToSeries, runLines, seriesToRows, type OverlayRun } from '../../src/ui/runs/overlay';
import { smooth } from '../../src/ui/plots/smoothing';

/** n training rows (epoch = step / 4: four batches an epoch) and a test row every 5 steps. */
function rows(n: number, scale: number): MetricRow[] {
  const out: MetricRow[] = [];
  for (let s = 1; s <= n; s++) {
    out.push({ step: s, wallMs: 100 * s, split: 'train', values: { loss: scale / s, lr: 0.01, epoch: s / 4 } });
    if (s % 5 === 0) out.push({ step: s, wallMs: 100 * s, split: 'test', values: { loss: (2 * scale) / s } });
  }
  return out;
}

function run(id: string, r: MetricRow[], smoothing: number, color = '#1f77b4'): OverlayRun {
  return { id, name: `run ${id}`, color, smoothing, ...rowsToSeries(r) };
}

describe('overlay lines', () => {
  it('stored rows ↔ column store round-trip (train and test rows, every value)', () => {
    const r = rows(12, 1);
    const { series, evals } = rowsToSeries(r);
    expect(series.length).toBe(12);
    expect(evals.map((e) => e.step)).toEqual([5, 10]);
    const back = seriesToRows(series, evals);
    const key = (x: MetricRow) => `${x.split}:${x.step}`;
    expect(back.map(key).sort()).toEqual(r.map(key).sort());
    for (const b of back) expect(b.values).toEqual(r.find((x) => key(x) === key(b))!.values);
  });

  it('one legend line per run named after it, a faint raw line, test points; each run its own EMA', () => {
    const a = run('a', rows(20, 1), 0.6);
    const b = run('b', rows(20, 3), 0.9, '#d62728');
    const la = runLines(a, 'loss', 'step');
    const lb = runLines(b, 'loss', 'step');
    expect(la.map((l) => [l.name, l.legend ?? true, l.points ?? false])).toEqual([
      ['run a (raw)', false, false], ['run a', true, false], ['run a test', true, true],
    ]);
    const raw = rows(20, 3).filter((x) => x.split === 'train').map((x) => x.values.loss);
    // The smoothed line is TensorBoard's debiased EMA with the run's own weight (0.9 for b).
    expect(lb[1].y).toEqual(Array.from(smooth(raw, 0.9)));
    expect(la[1].y).not.toEqual(Array.from(smooth(rows(20, 1).filter((x) => x.split === 'train').map((x) => x.values.loss), 0.9)));
    expect(lb[1].color).toBe('#d62728');
    expect(lb[0].color).toBe('rgba(214,39,40,0.25)');
    expect(lb[2].x).toEqual([5, 10, 15, 20]);
    // no smoothing: no separate raw line
    expect(runLines(run('c', rows(5, 1), 0), 'loss', 'step').map((l) => l.name)).toEqual(['run c', 'run c test']);
  });

  it('x by wall time (s) and by epoch, tests placed at their step', () => {
    const a = run('a', rows(20, 1), 0);
    const [train, test] = runLines(a, 'loss', 'epoch');
    expect(train.x.slice(0, 4)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(test.x).toEqual([1.25, 2.5, 3.75, 5]);
    expect(evalX(a.series, 0, 'epoch')).toBe(0);
    const [, t2] = runLines(a, 'loss', 'time');
    expect(t2.x).toEqual([0.5, 1, 1.5, 2]);
    // a run without epochs (streamed data) draws no epoch lines
    const noEpoch = run('s', rows(5, 1).map((x) => ({ ...x, values: { loss: x.values.loss } })), 0);
    expect(runLines(noEpoch, 'loss', 'epoch')).toEqual([]);
    expect(overlayMetricNames([a])).toEqual(['loss', 'lr']);
  });
});

describe('chart SVG', () => {
  it('round ticks', () => {
    expect(niceTicks(0, 20, 4)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(0.13, 0.61, 5)).toEqual([0.2, 0.3, 0.4, 0.5, 0.6]);
  });

  it('a path per line through its points, test dots, legend by run name, log y', () => {
    const lines = [
      { name: 'wide', x: [0, 10], y: [1, 100], color: '#1f77b4', width: 2 },
      { name: 'wide (raw)', x: [0, 5, 10], y: [1, NaN, 100], color: 'rgba(0,0,0,0.2)', width: 1, legend: false },
      { name: 'narrow & <b>', x: [0, 10], y: [10, 10], color: '#d62728', width: 1, points: true },
    ];
    const svg = chartSvg(lines, { xLabel: 'step', yLabel: 'loss', logY: true, width: 500, height: 300 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // margins: left 70, right 20, top 20 + 18 (one legend row), bottom 50 → plot 410 × 212
    // log y from 1 to 100: y = 1 at the bottom (38 + 212), 100 at the top, 10 half way
    expect(svg).toContain('data-name="wide" stroke="#1f77b4" stroke-width="2" d="M70.00 250.00L480.00 38.00"');
    // the NaN breaks the raw line into two moves
    expect(svg).toMatch(/data-name="wide \(raw\)"[^>]*d="M70\.00 250\.00M480\.00 38\.00"/);
    expect(svg).toContain('<circle cx="70.00" cy="144.00" r="2.5"/>');
    // the legend lists legend lines only, with names escaped
    expect(svg).toContain('>wide</text>');
    expect(svg).toContain('>narrow &amp; &lt;b&gt;</text>');
    expect(svg).not.toContain('>wide (raw)</text>');
    expect(svg).toContain('loss (log)');
  });
});
