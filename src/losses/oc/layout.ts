/**
 * The event structure the OC kernels need, built once per batch on the host (object ids are
 * data, never differentiated): hits grouped by object as CSR, objects grouped by event.
 * Several events can be packed into one batch (hits flat + event offsets); the loss is
 * computed per event and averaged over events.
 */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';

export interface OcLayoutHost {
  /** Hits, objects, events, non-noise hits. */
  n: number;
  k: number;
  e: number;
  /** Object index (0..K-1, sorted by event then id) of each hit, -1 for noise. */
  hitObj: Int32Array;
  hitEvent: Uint32Array;
  /** [E+1] hit offsets and object offsets of each event. */
  eventHits: Uint32Array;
  eventObjs: Uint32Array;
  /** CSR of hits by object: members[objOffsets[k] .. objOffsets[k+1]), ascending hit index. */
  objOffsets: Uint32Array;
  members: Uint32Array;
  /** First hit of the object's event that is not a member (-1 if none): upstream's argmax
   *  falls back to it when every member has q ≤ 0 (only possible with q_min ≤ 0). */
  fallback: Int32Array;
  /** Noise hits per event, and how many events have any. */
  eventNoise: Uint32Array;
  eventsWithNoise: number;
  /** The original id of each object. */
  objectIds: Int32Array;
}

/** Offsets of the sections of the packed u32 layout buffer, in the order of oc_common.wgsl. */
export interface LayoutOffsets {
  hitObj: number;
  hitEvent: number;
  eventHits: number;
  eventObjs: number;
  objOffsets: number;
  members: number;
  fallback: number;
  eventNoise: number;
}

export function buildOcLayout(
  objectId: ArrayLike<number>,
  opts: { noiseThreshold?: number; eventOffsets?: ArrayLike<number> } = {},
): OcLayoutHost {
  const n = objectId.length;
  const thr = opts.noiseThreshold ?? 0;
  const offsets = opts.eventOffsets ? Array.from(opts.eventOffsets) : [0, n];
  const e = offsets.length - 1;
  if (e < 1 || offsets[0] !== 0 || offsets[e] !== n || offsets.some((o, i) => i > 0 && o < offsets[i - 1])) {
    throw new Error(`event offsets must rise from 0 to ${n}, got [${offsets.slice(0, 8)}${offsets.length > 8 ? ', …' : ''}]`);
  }
  const hitObj = new Int32Array(n).fill(-1);
  const hitEvent = new Uint32Array(n);
  const eventHits = Uint32Array.from(offsets);
  const eventObjs = new Uint32Array(e + 1);
  const eventNoise = new Uint32Array(e);
  const ids: number[] = [];
  const memberLists: number[][] = [];
  for (let ev = 0; ev < e; ev++) {
    const byId = new Map<number, number[]>();
    for (let j = offsets[ev]; j < offsets[ev + 1]; j++) {
      hitEvent[j] = ev;
      const id = objectId[j];
      if (!Number.isInteger(id)) throw new Error(`object id of hit ${j} is not an integer: ${id}`);
      if (id <= thr) {
        eventNoise[ev]++;
        continue;
      }
      let list = byId.get(id);
      if (!list) byId.set(id, (list = []));
      list.push(j);
    }
    const sorted = [...byId.keys()].sort((a, b) => a - b);
    if (!sorted.length) {
      throw new Error(`event ${ev} has no object above the noise threshold ${thr}: the loss is undefined (upstream asserts)`);
    }
    for (const id of sorted) {
      const k = ids.length;
      ids.push(id);
      const list = byId.get(id)!;
      memberLists.push(list);
      for (const j of list) hitObj[j] = k;
    }
    eventObjs[ev + 1] = ids.length;
  }
  const k = ids.length;
  const objOffsets = new Uint32Array(k + 1);
  memberLists.forEach((l, i) => (objOffsets[i + 1] = objOffsets[i] + l.length));
  const members = new Uint32Array(objOffsets[k]);
  memberLists.forEach((l, i) => members.set(l, objOffsets[i]));
  const fallback = new Int32Array(k);
  for (let ev = 0; ev < e; ev++) {
    for (let o = eventObjs[ev]; o < eventObjs[ev + 1]; o++) {
      let expected = offsets[ev];
      for (const m of memberLists[o]) {
        if (m !== expected) break;
        expected++;
      }
      fallback[o] = expected < offsets[ev + 1] ? expected : -1;
    }
  }
  return {
    n,
    k,
    e,
    hitObj,
    hitEvent,
    eventHits,
    eventObjs,
    objOffsets,
    members,
    fallback,
    eventNoise,
    eventsWithNoise: eventNoise.reduce((a, c) => a + (c > 0 ? 1 : 0), 0),
    objectIds: Int32Array.from(ids),
  };
}

export function packLayout(h: OcLayoutHost): { data: Uint32Array; offsets: LayoutOffsets } {
  const parts: [keyof LayoutOffsets, ArrayLike<number>][] = [
    ['hitObj', new Uint32Array(h.hitObj.buffer, h.hitObj.byteOffset, h.hitObj.length)],
    ['hitEvent', h.hitEvent],
    ['eventHits', h.eventHits],
    ['eventObjs', h.eventObjs],
    ['objOffsets', h.objOffsets],
    ['members', h.members],
    ['fallback', new Uint32Array(h.fallback.buffer, h.fallback.byteOffset, h.fallback.length)],
    ['eventNoise', h.eventNoise],
  ];
  const total = parts.reduce((a, [, p]) => a + p.length, 0);
  const data = new Uint32Array(Math.max(1, total));
  const offsets = {} as LayoutOffsets;
  let at = 0;
  for (const [name, p] of parts) {
    offsets[name] = at;
    data.set(p, at);
    at += p.length;
  }
  return { data, offsets };
}

/** A layout uploaded to the GPU; keep it for as long as the batch is used. */
export interface OcLayout {
  host: OcLayoutHost;
  offsets: LayoutOffsets;
  buffer: Tensor<'u32'>;
  dispose(): void;
}

/** `keep` (default) takes the buffer out of the enclosing scope; else the scope frees it. */
export function uploadOcLayout(engine: Engine, host: OcLayoutHost, keep = true): OcLayout {
  const { data, offsets } = packLayout(host);
  const buffer = engine.fromArray(data, [data.length], { dtype: 'u32' });
  if (keep) buffer.keep();
  return { host, offsets, buffer, dispose: () => buffer.dispose() };
}
