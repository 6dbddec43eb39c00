/**
 * SPANet v2's train / validation split (jet_reconstruction_base.py create_datasets and
 * jet_reconstruction_dataset.py compute_limit_index, 46c6805) without a validation file:
 * training takes the events [0, round(limit · split · E)) and validation
 * [round(limit · split · E), round(limit · E)) of an order of the E events, each range then
 * sorted. The order is the file's, or with dataset_randomization = seed > 0
 * numpy.random.RandomState(seed).permutation(E): MT19937 seeded as numpy's legacy seeding
 * (init_genrand), shuffled from the last index down with numpy's bounded draws (the smallest
 * bit mask ≥ i, 32-bit outputs, rejected while > i). Both datasets use the same seed, so
 * the ranges are disjoint.
 */
import { pythonRound } from './schedule';
import { takeEvents, type SpanetTables } from './tables';

const N = 624;

/** numpy's legacy MT19937 (RandomState(seed) with an integer seed, 0 ≤ seed < 2³²). */
export class Mt19937 {
  private mt = new Uint32Array(N);
  private i = N;

  constructor(seed: number) {
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new Error(`seed must be an integer in [0, 2³²), got ${seed}`);
    this.mt[0] = seed >>> 0;
    for (let k = 1; k < N; k++) {
      const p = this.mt[k - 1] ^ (this.mt[k - 1] >>> 30);
      this.mt[k] = (Math.imul(1812433253, p) + k) >>> 0;
    }
  }

  private twist() {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
      mt[k] = mt[(k + 397) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.i = 0;
  }

  /** The next 32-bit output (genrand_int32). */
  next(): number {
    if (this.i >= N) this.twist();
    let y = this.mt[this.i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] as numpy's random_interval (max < 2³²). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    for (let s = 1; s <= 16; s *= 2) mask |= mask >>> s;
    mask >>>= 0;
    let v: number;
    do v = (this.next() & mask) >>> 0;
    while (v > max);
    return v;
  }
}

/** numpy.random.RandomState(seed).permutation(n). */
export function numpyPermutation(n: number, seed: number): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  const r = new Mt19937(seed);
  for (let i = n - 1; i >= 1; i--) {
    const j = r.interval(i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * The event counts of the split: training events [0, trainEvents), validation
 * [trainEvents, endEvent) of the (possibly permuted) order; at least one of each.
 */
export function splitRanges(E: number, testFraction: number, datasetLimit: number): { trainEvents: number; endEvent: number } {
  const endEvent = Math.max(2, Math.min(E, pythonRound(datasetLimit * E)));
  const trainEvents = Math.max(1, Math.min(endEvent - 1, pythonRound(datasetLimit * (1 - testFraction) * E)));
  return { trainEvents, endEvent };
}

/**
 * The file's event indices in the order the prepared data takes them: the training range
 * sorted, then the validation range sorted, then the unused events (sorted). The identity for
 * seed 0 (upstream's np.arange).
 */
export function eventOrder(E: number, seed: number, trainEvents: number, endEvent: number): Int32Array {
  if (!seed) return Int32Array.from({ length: E }, (_, i) => i);
  const p = numpyPermutation(E, seed);
  const part = (a: number, b: number) => p.slice(a, b).sort();
  const out = new Int32Array(E);
  out.set(part(0, trainEvents), 0);
  out.set(part(trainEvents, endEvent), trainEvents);
  out.set(part(endEvent, E), endEvent);
  return out;
}

/** Every per-event column of the tables in the given event order. */
export function reorderEvents(t: SpanetTables, order: Int32Array): SpanetTables {
  if (order.length !== t.nEvents) throw new Error(`event order has ${order.length} entries for ${t.nEvents} events`);
  return takeEvents(t, order);
}

/** The tables as upstream's dataset_randomization orders them for the split (unchanged for seed 0). */
export function randomizeEvents(t: SpanetTables, seed: number, testFraction: number, datasetLimit: number): SpanetTables {
  if (!seed) return t;
  const { trainEvents, endEvent } = splitRanges(t.nEvents, testFraction, datasetLimit);
  return reorderEvents(t, eventOrder(t.nEvents, seed, trainEvents, endEvent));
}
