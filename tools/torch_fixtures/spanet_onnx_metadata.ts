/**
 * Reads the ONNX files upstream's export wrote (make_spanet_onnx_fixtures.py, not committed):
 * their declared inputs and outputs (names, types, symbolic shapes) as onnxruntime-web sees
 * them, and runs each on the ttH_small fixture events at two batch sizes and two jet counts, to
 * record which dynamic axes upstream's model really serves. Writes
 * tests/fixtures/torch/spanet/onnx/upstream_onnx.json.
 *
 *   npx tsx tools/torch_fixtures/spanet_onnx_metadata.ts /tmp/spanet_onnx_up
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web/wasm';
import { decodeStateDict } from '../../src/export/safetensors';

ort.env.wasm.numThreads = 1;
const dir = process.argv[2];
const fixtures = new URL('../../tests/fixtures/torch/spanet/', import.meta.url);
const io = decodeStateDict(new Uint8Array(readFileSync(new URL('ttH_small.io.safetensors', fixtures))), 'io').state;
const eager = JSON.parse(readFileSync(new URL('onnx/upstream_eager.json', fixtures), 'utf8'));

/** Events [0, B) with the jet axis cut to N (global inputs keep their one vector). */
function feeds(B: number, N: number, names: string[]): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  [0, 1].forEach((i) => {
    const [, T, F] = io[`source.${i}.data`].shape;
    const n = i === 0 ? N : T;
    const d = io[`source.${i}.data`].data as Float32Array;
    const m = io[`source.${i}.mask`].data as Int32Array;
    const data = new Float32Array(B * n * F);
    const mask = new Uint8Array(B * n);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < n; t++) {
        mask[b * n + t] = m[b * T + t] ? 1 : 0;
        for (let f = 0; f < F; f++) data[(b * n + t) * F + f] = d[(b * T + t) * F + f];
      }
    out[names[2 * i]] = new ort.Tensor('float32', data, [B, n, F]);
    out[names[2 * i + 1]] = new ort.Tensor('bool', mask, [B, n]);
  });
  return out;
}

const report: Record<string, unknown> = { upstream_commit: eager.upstream_commit, opset: eager.opset, variants: {} };
for (const stem of Object.keys(eager.variants)) {
  const session = await ort.InferenceSession.create(readFileSync(join(dir, `upstream_${stem}.onnx`)), { executionProviders: ['wasm'] });
  const meta = (m: readonly ort.InferenceSession.ValueMetadata[]) =>
    m.map((v) => (v.isTensor ? { name: v.name, type: v.type, shape: [...v.shape] } : { name: v.name }));
  const runs: Record<string, string> = {};
  let firstValues: Record<string, number[]> = {};
  for (const [B, N] of [
    [2, 19],
    [1, 19],
    [3, 19],
    [2, 12],
  ]) {
    try {
      const r = await session.run(feeds(B, N, [...session.inputNames]));
      runs[`B${B}_N${N}`] = 'ok: ' + session.outputNames.map((n) => `[${r[n].dims}]`).join(' ');
      if (B === 2 && N === 19 && !eager.variants[stem].flags.input_log_transform)
        firstValues = Object.fromEntries(session.outputNames.map((n) => [n, Array.from(r[n].data as Float32Array).slice(0, 4)]));
    } catch (e) {
      runs[`B${B}_N${N}`] = `error: ${String((e as Error).message)
        .split('\n')[0]
        .slice(0, 300)}`;
    }
  }
  (report.variants as Record<string, unknown>)[stem] = {
    inputs: meta(session.inputMetadata),
    outputs: meta(session.outputMetadata),
    runs,
    first_values: firstValues,
  };
  await session.release();
}
writeFileSync(new URL('onnx/upstream_onnx.json', fixtures), JSON.stringify(report, null, 1) + '\n');
console.log(JSON.stringify(report, null, 1).slice(0, 6000));
