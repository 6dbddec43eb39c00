import { seededRandom } from '../../nn/init';
import type { PlaneData } from './planes';

export interface SyntheticOptions {
  events: number;
  /** image side in pixels (square images) */
  size: number;
  planes?: number;
  seed: number;
  /** fraction of pixels lit by noise */
  noise?: number;
}

/**
 * Toy wire-chamber events in the task's dense layout. Rows are drift time (shared by the
 * planes), columns are the wire coordinate (a different projection per plane):
 *  - 1–3 cosmic muons: long straight tracks crossing the image (label 1, charge ~0.5–1.2);
 *  - one neutrino interaction: a vertex with 2–4 short prongs (label 2, charge ~1.2–3);
 *  - noise: isolated low-charge pixels (label 0).
 * The neutrino wins where it overlaps a cosmic, as in the real labels.
 */
export function syntheticPlanes(o: SyntheticOptions): PlaneData {
  const P = o.planes ?? 3;
  const S = o.size;
  const rand = seededRandom(o.seed);
  const hw = S * S;
  const images = new Float32Array(o.events * P * hw);
  const labels = new Uint8Array(o.events * P * hw);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rand();

  for (let e = 0; e < o.events; e++) {
    const paint = (p: number, row: number, col: number, charge: number, label: number) => {
      const r = Math.round(row);
      const c = Math.round(col);
      if (r < 0 || r >= S || c < 0 || c >= S) return;
      const i = ((e * P + p) * S + r) * S + c;
      images[i] = Math.max(images[i], charge * uniform(0.8, 1.2));
      labels[i] = Math.max(labels[i], label);
    };
    /** A segment from (r0, c0[p]) to (r1, c1[p]) in every plane, sampled every half pixel. */
    const segment = (r0: number, r1: number, c0: number[], c1: number[], charge: number, label: number) => {
      for (let p = 0; p < P; p++) {
        const steps = Math.ceil(2 * Math.max(Math.abs(r1 - r0), Math.abs(c1[p] - c0[p]), 1));
        for (let s = 0; s <= steps; s++) {
          const t = s / steps;
          paint(p, r0 + t * (r1 - r0), c0[p] + t * (c1[p] - c0[p]), charge, label);
        }
      }
    };
    const perPlane = (lo: number, hi: number) => Array.from({ length: P }, () => uniform(lo, hi));

    const cosmics = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < cosmics; k++) {
      // Through-going: enters at the top or a side, leaves at the bottom.
      const r0 = rand() < 0.7 ? 0 : uniform(0, S / 2);
      segment(r0, S - 1, perPlane(-S / 4, 1.25 * S), perPlane(-S / 4, 1.25 * S), uniform(0.5, 1.2), 1);
    }

    const vr = uniform(0.2 * S, 0.8 * S);
    const vc = perPlane(0.2 * S, 0.8 * S);
    const prongs = 2 + Math.floor(rand() * 3);
    for (let k = 0; k < prongs; k++) {
      const len = uniform(0.06, 0.2) * S;
      const dr = uniform(-1, 1) * len;
      const ends = vc.map((c) => c + uniform(-1, 1) * len);
      segment(vr, vr + dr, vc, ends, uniform(1.2, 3), 2);
    }

    const noisy = Math.round((o.noise ?? 0.005) * hw * P);
    for (let k = 0; k < noisy; k++) {
      const i = (e * P + Math.floor(rand() * P)) * hw + Math.floor(rand() * hw);
      if (labels[i] === 0) images[i] = uniform(0.05, 0.3);
    }
  }
  return { kind: 'planes', events: o.events, planes: P, height: S, width: S, images, labels };
}
