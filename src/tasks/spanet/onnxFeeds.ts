import type { OnnxFeed } from '../../export/verifyOnnx';
import type { EventSpec } from './eventSpec';
import type { PreparedData } from './prepare';

/**
 * SPANet's ONNX inputs for some events: `{seq}_data` [B, N, D] (log features as stored),
 * `{seq}_mask` [B, N] bool, and per global input `{g}_data` [B, 1, F] with an all-true mask.
 */
export function spanetFeeds(spec: EventSpec, d: PreparedData, events: number[]): Record<string, OnnxFeed> {
  const B = events.length;
  const seq = spec.inputs.find((i) => i.kind === 'sequential');
  if (!seq) throw new Error('SPANet ONNX feeds: the event description has no sequential input');
  const data = new Float32Array(B * d.N * d.D);
  const mask = new Uint8Array(B * d.N);
  events.forEach((ev, b) => {
    data.set(d.jets.subarray(ev * d.N * d.D, (ev + 1) * d.N * d.D), b * d.N * d.D);
    mask.set(d.jetMask.subarray(ev * d.N, (ev + 1) * d.N), b * d.N);
  });
  const out: Record<string, OnnxFeed> = {
    [`${seq.name}_data`]: { data, dims: [B, d.N, d.D] },
    [`${seq.name}_mask`]: { data: mask, dims: [B, d.N] },
  };
  for (const g of d.globalSlices) {
    const gd = new Float32Array(B * g.count);
    events.forEach((ev, b) => {
      for (let c = 0; c < g.count; c++) gd[b * g.count + c] = d.globals[ev * d.G + g.start + c];
    });
    out[`${g.name}_data`] = { data: gd, dims: [B, 1, g.count] };
    out[`${g.name}_mask`] = { data: new Uint8Array(B).fill(1), dims: [B, 1] };
  }
  return out;
}
