/** Random object condensation events for the tests; every value is f32-representable. */
import { rng } from '../helpers/random';

export interface OcEvent {
  beta: Float64Array;
  x: Float64Array;
  d: number;
  objectId: Int32Array;
  weights: Float64Array | null;
  qMin: number;
  noiseThreshold: number;
  eventOffsets?: number[];
}

export interface EventShape {
  n: number;
  d: number;
  /** ids drawn from [idLo, idHi] */
  idLo: number;
  idHi: number;
  noiseThreshold?: number;
  weights?: boolean;
  qMin?: number;
  /** x uniform in [0, spread]^D: small spreads give many pairs within distance 1. */
  spread?: number;
  betaMax?: number;
  events?: number;
}

export function randomEvent(seed: number, s: EventShape): OcEvent {
  const r = rng(seed);
  const f = Math.fround;
  const thr = s.noiseThreshold ?? 0;
  const events = s.events ?? 1;
  for (;;) {
    const objectId = Int32Array.from({ length: s.n }, () => s.idLo + Math.floor(r() * (s.idHi - s.idLo + 1)));
    const eventOffsets = Array.from({ length: events + 1 }, (_, i) => Math.round((i * s.n) / events));
    // every event needs an object above the threshold (upstream asserts otherwise)
    const ok = eventOffsets.slice(1).every((end, i) => objectId.slice(eventOffsets[i], end).some((id) => id > thr));
    if (!ok) continue;
    return {
      beta: Float64Array.from({ length: s.n }, () => f(r() * (s.betaMax ?? 0.99))),
      x: Float64Array.from({ length: s.n * s.d }, () => f(r() * (s.spread ?? 1.5))),
      d: s.d,
      objectId,
      weights: s.weights ? Float64Array.from({ length: s.n }, () => f(0.2 + 1.6 * r())) : null,
      qMin: s.qMin ?? 0.5,
      noiseThreshold: thr,
      eventOffsets: events > 1 ? eventOffsets : undefined,
    };
  }
}
