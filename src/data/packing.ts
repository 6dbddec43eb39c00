/**
 * Set packing: variable-size sets are concatenated into blocks of a fixed number of element
 * rows (`capacity`) and a fixed number of set slots (`maxSets`), so every training step sees
 * the same tensor shapes. A block's tail is padding: element rows past the last set (zeros,
 * outside every segment, so segment ops ignore them and give them no gradient) and set slots
 * past the last set (empty segments whose outputs the loss masks out).
 * Pooling then runs over CSR offsets; no dense summation matrix is ever built.
 */
import { checkRagged, type RaggedF32 } from './ragged';

export interface PackedBlock {
  /** [capacity, width] element rows; rows from offsets[numSets] on are zero padding. */
  values: Float32Array;
  /** [maxSets + 1] segment offsets; slots numSets.. are empty segments at the end. */
  offsets: Int32Array;
  /** [maxSets] index of the original set in each slot, -1 for padding slots. */
  sets: Int32Array;
  numSets: number;
  numElements: number;
}

export interface PaddingOverhead {
  /** Fraction of element rows that are padding. */
  elements: number;
  /** Fraction of set slots that are padding. */
  sets: number;
}

export interface Packing {
  blocks: PackedBlock[];
  capacity: number;
  maxSets: number;
  width: number;
  /** Padding per block, in block order. */
  perBlock: PaddingOverhead[];
  /** Padding over all blocks together. */
  overall: PaddingOverhead;
}

export interface PackOptions {
  /** Element rows per block. */
  capacity: number;
  /** Set slots per block; by default the most sets any block received. */
  maxSets?: number;
  /** Order in which sets are placed (e.g. a seeded shuffle); default 0..n-1. */
  order?: ArrayLike<number>;
}

/**
 * First-fit packing: each set goes into the first open block with room for its elements
 * (and a free slot when maxSets is given). First-fit keeps the number of blocks close to
 * total/capacity, so padding stays small once a block holds many sets.
 */
export function packSets(sets: RaggedF32, opts: PackOptions): Packing {
  const problem = checkRagged(sets);
  if (problem) throw new Error(`packSets: malformed sets (${problem})`);
  const { capacity } = opts;
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`packSets: capacity must be a positive integer, got ${capacity}`);
  const count = sets.offsets.length - 1;
  const order = opts.order ?? Array.from({ length: count }, (_, i) => i);
  const limit = opts.maxSets ?? Infinity;
  const size = (k: number) => sets.offsets[k + 1] - sets.offsets[k];

  const members: number[][] = [];
  const used: number[] = [];
  for (let j = 0; j < order.length; j++) {
    const k = order[j];
    const n = size(k);
    if (n > capacity) {
      throw new Error(`packSets: set ${k} has ${n} elements, more than the block capacity ${capacity}; raise the capacity`);
    }
    let b = 0;
    while (b < members.length && (used[b] + n > capacity || members[b].length >= limit)) b++;
    if (b === members.length) {
      members.push([]);
      used.push(0);
    }
    members[b].push(k);
    used[b] += n;
  }

  const maxSets = opts.maxSets ?? members.reduce((m, b) => Math.max(m, b.length), 1);
  const { width } = sets;
  const blocks = members.map((m): PackedBlock => {
    const values = new Float32Array(capacity * width);
    const offsets = new Int32Array(maxSets + 1);
    const slots = new Int32Array(maxSets).fill(-1);
    let row = 0;
    m.forEach((k, slot) => {
      const n = size(k);
      values.set(sets.values.subarray(sets.offsets[k] * width, sets.offsets[k + 1] * width), row * width);
      row += n;
      offsets[slot + 1] = row;
      slots[slot] = k;
    });
    offsets.fill(row, m.length + 1);
    return { values, offsets, sets: slots, numSets: m.length, numElements: row };
  });

  const perBlock = blocks.map((b) => ({
    elements: 1 - b.numElements / capacity,
    sets: 1 - b.numSets / maxSets,
  }));
  const totalElements = blocks.reduce((s, b) => s + b.numElements, 0);
  const overall = {
    elements: blocks.length ? 1 - totalElements / (capacity * blocks.length) : 0,
    sets: blocks.length ? 1 - count / (maxSets * blocks.length) : 0,
  };
  return { blocks, capacity, maxSets, width, perBlock, overall };
}

/** The sets with the given indices, in that order, as a new CSR collection. */
export function selectSets(sets: RaggedF32, indices: ArrayLike<number>): RaggedF32 {
  const { width } = sets;
  const offsets = new Uint32Array(indices.length + 1);
  for (let j = 0; j < indices.length; j++) {
    const k = indices[j];
    offsets[j + 1] = offsets[j] + sets.offsets[k + 1] - sets.offsets[k];
  }
  const values = new Float32Array(offsets[indices.length] * width);
  for (let j = 0; j < indices.length; j++) {
    const k = indices[j];
    values.set(sets.values.subarray(sets.offsets[k] * width, sets.offsets[k + 1] * width), offsets[j] * width);
  }
  return { values, offsets, width };
}

/** The largest set, for choosing a capacity every set fits in. */
export function largestSet(sets: RaggedF32): number {
  let m = 0;
  for (let k = 0; k + 1 < sets.offsets.length; k++) m = Math.max(m, sets.offsets[k + 1] - sets.offsets[k]);
  return m;
}
