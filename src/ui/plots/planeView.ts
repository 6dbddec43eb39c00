// Pixels and view geometry of the full-resolution plane display (no DOM: tested on Node).

/** Background, cosmic, neutrino. */
export const LABEL_COLOURS: [number, number, number][] = [
  [24, 24, 32],
  [255, 140, 0],
  [0, 200, 255],
];

/**
 * RGBA pixels of one plane [H, W] of labels (palette) or charge (log scale to the plane's
 * largest value: wire charge spans decades, and most pixels are 0).
 */
export function paintPlane(values: ArrayLike<number>, offset: number, H: number, W: number, scale: 'charge' | 'labels'): Uint8ClampedArray {
  const n = H * W;
  const out = new Uint8ClampedArray(n * 4);
  if (scale === 'labels') {
    for (let i = 0; i < n; i++) {
      const c = LABEL_COLOURS[values[offset + i]] ?? [255, 0, 255];
      out.set(c, i * 4);
      out[i * 4 + 3] = 255;
    }
    return out;
  }
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, values[offset + i]);
  const norm = max > 0 ? 1 / Math.log1p(max) : 0;
  for (let i = 0; i < n; i++) {
    const t = Math.log1p(Math.max(0, values[offset + i])) * norm;
    out[i * 4] = 255 * Math.min(1, 1.6 * t);
    out[i * 4 + 1] = 255 * Math.max(0, Math.min(1, 1.6 * t - 0.5));
    out[i * 4 + 2] = 255 * Math.max(0, 2 * t - 1) + 30 * (1 - t);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** What a canvas shows: image pixel (x0, y0) at its top-left corner, `scale` canvas px per image px. */
export interface View {
  x0: number;
  y0: number;
  scale: number;
}

/** Zoomed in at most this far (canvas px per image px). */
export const MAX_SCALE = 32;

/** The whole image fitted into a canvas of cw × ch. */
export function fitView(W: number, H: number, cw: number, ch: number): View {
  const scale = Math.min(cw / W, ch / H);
  return clampView({ x0: 0, y0: 0, scale }, W, H, cw, ch);
}

/** Keeps the image on screen: never zoomed out past the fit, never panned past an edge (centred when smaller). */
export function clampView(v: View, W: number, H: number, cw: number, ch: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(Math.min(cw / W, ch / H), v.scale));
  const axis = (o: number, size: number, canvas: number) => {
    const shown = canvas / scale;
    return shown >= size ? (size - shown) / 2 : Math.min(Math.max(o, 0), size - shown);
  };
  return { x0: axis(v.x0, W, cw), y0: axis(v.y0, H, ch), scale };
}

/** Zoom by `factor` keeping the image point under canvas point (px, py) where it is. */
export function zoomAt(v: View, factor: number, px: number, py: number, W: number, H: number, cw: number, ch: number): View {
  const ix = v.x0 + px / v.scale;
  const iy = v.y0 + py / v.scale;
  const scale = Math.min(MAX_SCALE, Math.max(Math.min(cw / W, ch / H), v.scale * factor));
  return clampView({ x0: ix - px / scale, y0: iy - py / scale, scale }, W, H, cw, ch);
}

/** Pan by a drag of (dx, dy) canvas pixels. */
export function panBy(v: View, dx: number, dy: number, W: number, H: number, cw: number, ch: number): View {
  return clampView({ x0: v.x0 - dx / v.scale, y0: v.y0 - dy / v.scale, scale: v.scale }, W, H, cw, ch);
}
