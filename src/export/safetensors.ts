/**
 * safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data. Reads and writes F32, F16,
 * BF16, F64, I64 and I32 entries (PyTorch saves `num_batches_tracked` as I64).
 */
import type { NamedWeights } from '../nn/namedWeights';
import { DTYPE_BYTES, type StateDict, type StateDtype, type StateEntry } from '../nn/stateDict';

export type { NamedWeights };

type Writable = StateEntry | { shape: number[]; data: Float32Array; dtype?: undefined };

const CTORS = {
  F32: Float32Array,
  F64: Float64Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
} as const;

export function encodeSafetensors(weights: StateDict | NamedWeights, metadata: Record<string, string> = {}): Uint8Array {
  const entries = weights as Record<string, Writable>;
  const names = Object.keys(entries).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = entries[name];
    const dtype = entries[name].dtype ?? 'F32';
    if (shape.reduce((a, b) => a * b, 1) !== data.length) {
      throw new Error(`safetensors: ${name} has ${data.length} values for shape [${shape}]`);
    }
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data starts 8-byte aligned (counted in bytes: names may be non-ASCII).
  const headerBytes = new Uint8Array(json.length + ((8 - ((8 + json.length) % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = entries[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

/** Decodes every entry with its own dtype; `file` names the source in errors. */
export function decodeStateDict(bytes: Uint8Array, file = 'safetensors file'): { state: StateDict; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${file}: shorter than the 8-byte safetensors header length`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + n > bytes.length)
    throw new Error(`${file}: the safetensors header of ${n} bytes runs past the end of the file (${bytes.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new Error(`${file}: the safetensors header is not JSON (${(err as Error).message})`);
  }
  const state: StateDict = {};
  const base = 8 + n;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offs } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in CTORS)) throw new Error(`${file}: tensor ${name} has dtype ${dtype}; supported are ${Object.keys(CTORS).join(', ')}`);
    const d = dtype as StateDtype;
    const [s, e] = offs ?? [];
    const count = (shape ?? []).reduce((a, b) => a * b, 1);
    if (!Array.isArray(shape) || !(s >= 0) || !(e >= s) || base + e > bytes.length || e - s !== count * DTYPE_BYTES[d]) {
      throw new Error(`${file}: tensor ${name} [${shape}] ${dtype} has byte range [${offs}] that does not fit its shape or the file`);
    }
    // A copy of exactly these bytes: Node's Buffer.slice is a view into a shared pool.
    const copy = new Uint8Array(bytes.subarray(base + s, base + e));
    state[name] = { dtype: d, shape, data: new CTORS[d](copy.buffer) } as StateEntry;
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { state, metadata };
}

/** F32-only view for callers that only handle float weights (kept for the exporters). */
export function decodeSafetensors(bytes: Uint8Array): { weights: NamedWeights; metadata: Record<string, string> } {
  const { state, metadata } = decodeStateDict(bytes);
  const weights: NamedWeights = {};
  for (const [name, e] of Object.entries(state)) {
    if (e.dtype !== 'F32') throw new Error(`safetensors: ${name} has dtype ${e.dtype}; only F32 is supported here`);
    weights[name] = { shape: e.shape, data: e.data };
  }
  return { weights, metadata };
}
