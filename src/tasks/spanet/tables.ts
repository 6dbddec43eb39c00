import type { SpanetEvents } from '../../data/spanet/reader';

/**
 * A SPANet dataset as padded columns, the form of the HDF5 file itself:
 * sequential features [events * maxLength] with MASK, global features [events],
 * TARGETS[particle][product] = jet index or -1, REGRESSIONS / CLASSIFICATIONS per event.
 */
export interface SpanetTables {
  nEvents: number;
  sources: {
    name: string;
    kind: 'sequential' | 'global';
    maxLength: number;
    features: Record<string, Float32Array>;
    /** sequential only: [events * maxLength], 1 = real object */
    mask?: Uint8Array;
  }[];
  targets: Record<string, Record<string, Int32Array>>;
  /** TARGETS/<particle>/MASK and WEIGHT where the file has them */
  targetMasks?: Record<string, Uint8Array>;
  targetWeights?: Record<string, Float32Array>;
  /** "EVENT/name" → value per event (NaN = no value) */
  regressions: Record<string, Float32Array>;
  /** "EVENT/name" → class per event (-1 = none) */
  classifications: Record<string, Int32Array>;
}

/** The events of `t` at `rows`, in that order (every per-event column); rows may repeat or reorder. */
export function takeEvents(t: SpanetTables, rows: ArrayLike<number>): SpanetTables {
  const E = t.nEvents;
  const n = rows.length;
  const take = <A extends Float32Array | Int32Array | Uint8Array>(a: A): A => {
    const w = a.length / E;
    const out = new (a.constructor as new (n: number) => A)(n * w);
    for (let i = 0; i < n; i++) out.set(a.subarray(rows[i] * w, rows[i] * w + w), i * w);
    return out;
  };
  const each = <A extends Float32Array | Int32Array | Uint8Array>(r: Record<string, A> | undefined) =>
    r && (Object.fromEntries(Object.entries(r).map(([k, v]) => [k, take(v)])) as Record<string, A>);
  return {
    ...t,
    nEvents: n,
    sources: t.sources.map((s) => ({ ...s, features: each(s.features)!, mask: s.mask && take(s.mask) })),
    targets: Object.fromEntries(Object.entries(t.targets).map(([p, q]) => [p, each(q)!])),
    targetMasks: each(t.targetMasks),
    targetWeights: each(t.targetWeights),
    regressions: each(t.regressions)!,
    classifications: each(t.classifications)!,
  };
}

/** Pads the ragged rows of the SPANet reader (src/data/spanet) back to [events, maxLength]. */
export function tablesFromEvents(ev: SpanetEvents): SpanetTables {
  const n = ev.range.end - ev.range.start;
  const sources = ev.sources.map((s) => {
    const L = s.maxLength;
    const W = s.features.length;
    const features: Record<string, Float32Array> = Object.fromEntries(s.features.map((f) => [f, new Float32Array(n * L)]));
    const mask = s.kind === 'sequential' ? new Uint8Array(n * L) : undefined;
    const { values, offsets } = s.data;
    for (let e = 0; e < n; e++) {
      for (let r = offsets[e]; r < offsets[e + 1]; r++) {
        const j = s.position[r];
        if (mask) mask[e * L + j] = 1;
        s.features.forEach((f, fi) => {
          features[f][e * L + j] = values[r * W + fi];
        });
      }
    }
    return { name: s.name, kind: s.kind, maxLength: L, features, mask };
  });
  const classifications: Record<string, Int32Array> = {};
  for (const [k, v] of Object.entries(ev.classifications)) classifications[k] = Int32Array.from(v, (x) => (Number.isFinite(x) ? x : -1));
  return {
    nEvents: n,
    sources,
    targets: ev.targets,
    targetMasks: ev.targetMasks,
    targetWeights: ev.targetWeights,
    regressions: ev.regressions,
    classifications,
  };
}

/** The layout summary inferEventSpec needs. */
export function tablesLayout(t: SpanetTables) {
  return {
    sources: t.sources.map((s) => ({ name: s.name, kind: s.kind, features: Object.keys(s.features) })),
    targets: Object.entries(t.targets).map(([particle, prods]) => ({ particle, products: Object.keys(prods) })),
    regressions: Object.keys(t.regressions),
    classifications: Object.keys(t.classifications),
  };
}

/** Feature values of the real objects of a source (for inferring binary features). */
export function sampleValues(t: SpanetTables, source: string, feature: string): Float32Array | undefined {
  const s = t.sources.find((x) => x.name === source);
  const v = s?.features[feature];
  if (!s || !v) return undefined;
  if (!s.mask) return v;
  return v.filter((_, i) => s.mask![i] === 1);
}
