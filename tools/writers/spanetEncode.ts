import type { DType } from '../../src/data/h5/types';
import type { DatasetSpec } from './h5write';
import { encodeNumbers } from './encode';

/** In-memory description of a SPANet v2 file. */
export interface SpanetSpec {
  nEvents: number;
  sources: {
    name: string;
    /** sequential: [nEvents * maxLength] per feature; global: [nEvents] */
    features: Record<string, ArrayLike<number>>;
    /** sequential sources only: [nEvents * maxLength], 1 = real object */
    mask?: ArrayLike<number>;
    maxLength?: number;
  }[];
  /** targets[particle][product] = jet index per event, -1 if unmatched */
  targets: Record<string, Record<string, ArrayLike<number>>>;
  /** "EVENT/name" → value per event */
  regressions?: Record<string, ArrayLike<number>>;
  classifications?: Record<string, ArrayLike<number>>;
}

const F4: DType = { kind: 'float', size: 4, littleEndian: true };
const I8: DType = { kind: 'int', size: 8, signed: true, littleEndian: true };
// h5py stores numpy bool as an enum {FALSE, TRUE}; h5wasm cannot create enum types,
// so MASK is written as uint8 0/1 (SPANet casts it to bool when loading).
const U1: DType = { kind: 'int', size: 1, signed: false, littleEndian: true };

export function encodeSpanet(spec: SpanetSpec): DatasetSpec[] {
  const out: DatasetSpec[] = [];
  const n = spec.nEvents;
  for (const s of spec.sources) {
    const L = s.maxLength ?? 1;
    const shape = s.mask ? [n, L] : [n];
    if (s.mask) out.push({ path: `/INPUTS/${s.name}/MASK`, type: U1, shape, bytes: encodeNumbers(U1, s.mask) });
    for (const [k, v] of Object.entries(s.features))
      out.push({ path: `/INPUTS/${s.name}/${k}`, type: F4, shape, bytes: encodeNumbers(F4, v) });
  }
  for (const [p, prods] of Object.entries(spec.targets))
    for (const [k, v] of Object.entries(prods)) out.push({ path: `/TARGETS/${p}/${k}`, type: I8, shape: [n], bytes: encodeNumbers(I8, v) });
  for (const [k, v] of Object.entries(spec.regressions ?? {}))
    out.push({ path: `/REGRESSIONS/${k}`, type: F4, shape: [n], bytes: encodeNumbers(F4, v) });
  for (const [k, v] of Object.entries(spec.classifications ?? {}))
    out.push({ path: `/CLASSIFICATIONS/${k}`, type: I8, shape: [n], bytes: encodeNumbers(I8, v) });
  for (const d of out)
    if (d.bytes.byteLength !== d.shape.reduce((a, b) => a * b, 1) * d.type.size)
      throw new Error(`${d.path}: wrong number of values for shape [${d.shape}]`);
  return out;
}
