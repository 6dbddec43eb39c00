/**
 * Hits for the clustering task: the shape a data file must be converted to, and a built-in
 * generator of toy tracking events.
 *
 * TaskData accepted by the clustering task (all events packed, CSR by event):
 *   { kind: 'hits',
 *     features: Float32Array,      // [N, width] per-hit inputs; columns 0 and 1 are the
 *     width: number,               //   detector-plane position used for the event display
 *     objectId: Int32Array,        // [N] truth object per hit; ≤ 0 is noise
 *     eventOffsets: Uint32Array,   // [E+1] hit offsets of the events
 *     positionDims?: number }      // leading feature columns that are coordinates (default 2);
 *                                  //   the message-passing kNN uses all of them
 * The first 80 % of the events train, the rest test.
 */
import { normalSampler, seededRandom } from '../../nn/init';

export interface HitsData {
  kind: 'hits';
  features: Float32Array;
  width: number;
  objectId: Int32Array;
  eventOffsets: Uint32Array;
  /** Leading feature columns that are detector coordinates (default 2): the kNN uses all of them. */
  positionDims?: number;
  /** What each event is in its file (e.g. "entry 12, plane 1"), for messages; default "event i". */
  eventNames?: string[];
}

export function isHitsData(d: unknown): d is HitsData {
  const h = d as HitsData;
  return (
    !!h &&
    h.kind === 'hits' &&
    h.features instanceof Float32Array &&
    h.objectId instanceof Int32Array &&
    h.eventOffsets instanceof Uint32Array &&
    Number.isInteger(h.width) &&
    h.width >= 2 &&
    h.features.length === h.objectId.length * h.width &&
    h.eventOffsets[h.eventOffsets.length - 1] === h.objectId.length
  );
}

export interface TrackEventConfig {
  events: number;
  /** Tracks per event are drawn uniformly from [minTracks, maxTracks]. */
  minTracks: number;
  maxTracks: number;
  layers: number;
  noiseHits: number;
  seed: number;
}

/**
 * A 2-D barrel detector of `layers` circular layers (radius 0.1·l, l = 1..layers). Each track
 * is a helix seen in the transverse plane: a circle through the origin with radius R (the
 * transverse momentum) bending either way; it leaves one hit per layer it reaches (95 %
 * efficiency, 3e-3 position smearing). Noise hits sit on random layers at random angles.
 * Features: x, y, layer radius. Ids: 1.. per track, 0 for noise.
 */
export function generateTrackEvents(c: TrackEventConfig): HitsData {
  const rand = seededRandom(c.seed);
  const normal = normalSampler(rand);
  const feats: number[] = [];
  const ids: number[] = [];
  const offsets = [0];
  const rMax = 0.1 * c.layers;
  const push = (r: number, phi: number, id: number) => {
    feats.push(r * Math.cos(phi) + 3e-3 * normal(), r * Math.sin(phi) + 3e-3 * normal(), r / rMax);
    ids.push(id);
  };
  for (let ev = 0; ev < c.events; ev++) {
    const tracks = c.minTracks + Math.floor(rand() * (c.maxTracks - c.minTracks + 1));
    for (let t = 0; t < tracks; t++) {
      const radius = 0.3 + 3 * rand() ** 2; // low momentum (tight arcs) is common
      const phi0 = 2 * Math.PI * rand();
      const charge = rand() < 0.5 ? -1 : 1;
      for (let l = 1; l <= c.layers; l++) {
        const r = 0.1 * l;
        if (r > 2 * radius) break; // the track curls back before this layer
        if (rand() < 0.05) continue;
        push(r, phi0 + charge * Math.asin(r / (2 * radius)), t + 1);
      }
    }
    for (let i = 0; i < c.noiseHits; i++) push(0.1 * (1 + Math.floor(rand() * c.layers)), 2 * Math.PI * rand(), 0);
    offsets.push(ids.length);
  }
  return {
    kind: 'hits',
    features: Float32Array.from(feats),
    width: 3,
    objectId: Int32Array.from(ids),
    eventOffsets: Uint32Array.from(offsets),
  };
}

/** Events [from, to) of `d` as a new packed HitsData. */
export function sliceEvents(d: HitsData, from: number, to: number): HitsData {
  const h0 = d.eventOffsets[from],
    h1 = d.eventOffsets[to];
  return {
    kind: 'hits',
    width: d.width,
    positionDims: d.positionDims,
    features: d.features.slice(h0 * d.width, h1 * d.width),
    objectId: d.objectId.slice(h0, h1),
    eventOffsets: Uint32Array.from(d.eventOffsets.subarray(from, to + 1), (o) => o - h0),
    eventNames: d.eventNames?.slice(from, to),
  };
}

export interface TrainableEvents {
  data: HitsData;
  /** Names (file events) of the events left out: no hits, or only noise hits (id ≤ 0). */
  empty: string[];
  allNoise: string[];
}

/**
 * Leaves out events the object condensation loss cannot use (it is undefined without an
 * object), keeping each kept event's file name for later messages.
 */
export function trainableEvents(d: HitsData): TrainableEvents {
  const keep: number[] = [];
  const empty: string[] = [];
  const allNoise: string[] = [];
  const events = d.eventOffsets.length - 1;
  const name = (ev: number) => d.eventNames?.[ev] ?? `event ${ev}`;
  for (let ev = 0; ev < events; ev++) {
    const h0 = d.eventOffsets[ev],
      h1 = d.eventOffsets[ev + 1];
    if (h1 === h0) empty.push(name(ev));
    else if (!d.objectId.subarray(h0, h1).some((id) => id > 0)) allNoise.push(name(ev));
    else keep.push(ev);
  }
  if (keep.length === events) return { data: d, empty, allNoise };
  const offsets = new Uint32Array(keep.length + 1);
  keep.forEach((ev, k) => (offsets[k + 1] = offsets[k] + d.eventOffsets[ev + 1] - d.eventOffsets[ev]));
  const n = offsets[keep.length];
  const features = new Float32Array(n * d.width);
  const objectId = new Int32Array(n);
  keep.forEach((ev, k) => {
    const h0 = d.eventOffsets[ev],
      h1 = d.eventOffsets[ev + 1];
    features.set(d.features.subarray(h0 * d.width, h1 * d.width), offsets[k] * d.width);
    objectId.set(d.objectId.subarray(h0, h1), offsets[k]);
  });
  return {
    data: {
      kind: 'hits',
      width: d.width,
      positionDims: d.positionDims,
      features,
      objectId,
      eventOffsets: offsets,
      eventNames: keep.map(name),
    },
    empty,
    allNoise,
  };
}
