import { describe, expect, it } from 'vitest';
import { confusionFigure, totalConfusion } from '../../src/tasks/cosmic/figures';
import { clampView, fitView, LABEL_COLOURS, MAX_SCALE, paintPlane, panBy, zoomAt } from '../../src/ui/plots/planeView';

// A full-resolution CosmicTagger plane: 1280 time × 2048 wire, drawn into a 400-px-wide canvas.
const H = 1280;
const W = 2048;
const cw = 400;
const ch = 250;

describe('plane display geometry (full resolution, zoom and pan)', () => {
  it('fits the whole plane, centred', () => {
    const v = fitView(W, H, cw, ch);
    expect(v.scale).toBeCloseTo(400 / 2048, 12);
    expect([v.x0, v.y0]).toEqual([0, 0]);
    // A tall image: 0.5 screen px per pixel, 400 image columns shown for 100, centred.
    const tall = fitView(100, 400, 200, 200);
    expect(tall.x0).toBeCloseTo(-150, 12);
  });
  it('zooming keeps the image point under the cursor fixed, down to single pixels', () => {
    let v = fitView(W, H, cw, ch);
    const px = 123;
    const py = 77;
    const before = [v.x0 + px / v.scale, v.y0 + py / v.scale];
    for (let i = 0; i < 40; i++) v = zoomAt(v, 1.25, px, py, W, H, cw, ch);
    expect(v.scale).toBe(MAX_SCALE);
    expect(v.x0 + px / v.scale).toBeCloseTo(before[0], 9);
    expect(v.y0 + py / v.scale).toBeCloseTo(before[1], 9);
    // 32 screen px per detector pixel: a 400-px canvas shows 12.5 wires.
    expect(cw / v.scale).toBeCloseTo(12.5, 12);
  });
  it('never zooms out past the fit; panning stops at the edges', () => {
    const fit = fitView(W, H, cw, ch);
    expect(zoomAt(fit, 0.1, 10, 10, W, H, cw, ch)).toEqual(fit);
    const v = clampView({ x0: 1000, y0: 600, scale: 2 }, W, H, cw, ch);
    expect(panBy(v, 1e6, 0, W, H, cw, ch).x0).toBe(0);
    expect(panBy(v, -1e6, 0, W, H, cw, ch).x0).toBe(W - cw / 2);
    expect(panBy(v, 0, -1e6, W, H, cw, ch).y0).toBe(H - ch / 2);
    expect(panBy(v, 20, -10, W, H, cw, ch)).toEqual({ x0: 990, y0: 605, scale: 2 });
  });
});

describe('plane display pixels', () => {
  it('labels: one palette colour per class, opaque', () => {
    const px = paintPlane(Uint8Array.from([0, 1, 2, 1]), 0, 2, 2, 'labels');
    expect(Array.from(px.subarray(4, 8))).toEqual([...LABEL_COLOURS[1], 255]);
    expect(Array.from(px.subarray(8, 12))).toEqual([...LABEL_COLOURS[2], 255]);
  });
  it('charge: log scale to the plane maximum, from its offset in [planes, H, W]', () => {
    const v = Float32Array.from([0, 0, 0, 0, 0, 1, 99, 9]);
    const px = paintPlane(v, 4, 2, 2, 'charge'); // the second plane of 2×2
    expect(px[0]).toBe(0); // zero charge: dark
    expect(px[2 * 4]).toBe(255); // the maximum saturates red
    expect(px[2 * 4 + 1]).toBe(255);
    const t = Math.log1p(9) / Math.log1p(99); // 0.5
    expect(px[3 * 4]).toBe(Math.round(255 * Math.min(1, 1.6 * t)));
    // A full-resolution plane paints in one pass.
    const full = new Float32Array(H * W);
    full[5 * W + 7] = 3;
    const big = paintPlane(full, 0, H, W, 'charge');
    expect(big.length).toBe(H * W * 4);
    expect(big[(5 * W + 7) * 4]).toBe(255);
  });
});

describe('confusion matrix figure', () => {
  it('sums per-image counts, rows normalised, counts in the text', () => {
    // Two images [label, prediction] 3×3.
    const conf = [5, 1, 0, 0, 2, 2, 0, 0, 1, 3, 0, 0, 1, 1, 0, 0, 1, 0];
    const total = totalConfusion(conf, 3);
    expect(total).toEqual([
      [8, 1, 0],
      [1, 3, 2],
      [0, 1, 1],
    ]);
    const f = confusionFigure(total);
    expect(f.z![1]).toEqual([1 / 6, 3 / 6, 2 / 6]);
    expect(f.text![0][0]).toBe('0.889 (8)');
    expect(f.xCategories).toEqual(['background', 'cosmic', 'neutrino']);
  });
});
