/**
 * safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data.
 */
import type { NamedWeights } from '../nn/namedWeights';

export type { NamedWeights };

export function encodeSafetensors(weights: NamedWeights, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(weights).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = weights[name];
    if (shape.reduce((a, b) => a * b, 1) !== data.length) {
      throw new Error(`safetensors: ${name} has ${data.length} values for shape [${shape}]`);
    }
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = weights[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): { weights: NamedWeights; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`safetensors: header of ${n} bytes runs past the end of the file`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const weights: NamedWeights = {};
  const base = 8 + n;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [s, e] } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new Error(`safetensors: ${name} has dtype ${dtype}; only F32 is supported`);
    const copy = bytes.slice(base + s, base + e);
    weights[name] = { shape, data: new Float32Array(copy.buffer) };
  }
  return { weights, metadata: header.__metadata__ ?? {} };
}
