import type { OnnxFeed } from '../../export/verifyOnnx';
import type { EventSpec } from './eventSpec';
import type { PreparedData } from './prepare';

/**
 * SPANet's ONNX inputs for some events: `{seq}_data` [B, N, D] (log features as stored),
 * `{seq}_mask` [B, N] bool, and per global input `{g}_data` [B, 1, F] with an all-true mask.
 */
export function spanetFeeds(spec: EventSpec, d: PreparedData, events: number[], opts: { raw?: boolean } = {}): Record<string, OnnxFeed> {
  // raw: undo the stored log(x + 1) of log features, for a model exported with the input log transform
  const isLog = (t: string) => t === 'log' || t === 'log_normalize';
  const unlog = (v: number, log: boolean) => (opts.raw && log ? Math.expm1(v) : v);
  const B = events.length;
  const seq = spec.inputs.find((i) => i.kind === 'sequential');
  if (!seq) throw new Error('SPANet ONNX feeds: the event description has no sequential input');
  const data = new Float32Array(B * d.N * d.D);
  const mask = new Uint8Array(B * d.N);
  const seqLog = seq.features.map((f) => isLog(f.transform));
  events.forEach((ev, b) => {
    for (let i = 0; i < d.N * d.D; i++) data[b * d.N * d.D + i] = unlog(d.jets[ev * d.N * d.D + i], seqLog[i % d.D]);
    mask.set(d.jetMask.subarray(ev * d.N, (ev + 1) * d.N), b * d.N);
  });
  const out: Record<string, OnnxFeed> = {
    [`${seq.name}_data`]: { data, dims: [B, d.N, d.D] },
    [`${seq.name}_mask`]: { data: mask, dims: [B, d.N] },
  };
  for (const g of d.globalSlices) {
    const gd = new Float32Array(B * g.count);
    const gLog = (spec.inputs.find((i) => i.name === g.name)?.features ?? []).map((f) => isLog(f.transform));
    events.forEach((ev, b) => {
      for (let c = 0; c < g.count; c++) gd[b * g.count + c] = unlog(d.globals[ev * d.G + g.start + c], !!gLog[c]);
    });
    out[`${g.name}_data`] = { data: gd, dims: [B, 1, g.count] };
    out[`${g.name}_mask`] = { data: new Uint8Array(B).fill(1), dims: [B, 1] };
  }
  return out;
}
