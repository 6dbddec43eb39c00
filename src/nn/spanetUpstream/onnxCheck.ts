/**
 * Export with a self-check: the upstream network's ONNX run in onnxruntime-web on some events
 * and every output compared with the engine's eval forward turned into the exported
 * quantities (sigmoid detections, softmax classifications, probabilities or log-probabilities,
 * summary vectors). The task's exportOnnx and `physml export` use it.
 */
import type { EventSpec } from '../../tasks/spanet/eventSpec';
import type { SpanetOptions } from '../../tasks/spanet/options';
import type { Tensor } from '../../tensor/tensor';
import { runOnnx, type OnnxFeed } from '../../export/verifyOnnx';
import type { UpstreamJetReconstructionNetwork } from './network';
import { spanetUpstreamOutputNames, spanetUpstreamToOnnx, type SpanetUpstreamOnnxOptions } from './onnx';
import { SPANET_ONNX_DEFAULT_OPSET } from './onnxOps';

/** One input as the network takes it: data [B, T, F] (log features already log(x + 1)), mask [B·T] (non-zero = real). */
export interface CheckSource {
  data: Float32Array;
  shape: readonly number[];
  mask: ArrayLike<number>;
}

/**
 * Scaled tolerance |Δ| / (1 + |x|): ORT and the engine agree to < 1e-6 on the torch fixture
 * networks (tests/spanet/upstreamOnnx.test.ts, measured worst 6.7e-7); trained weights can
 * widen activations, so the check allows 1e-4, still far below what a wrong weight, mask or
 * layer gives (≥ 1e-3).
 */
export const SPANET_ONNX_CHECK_TOLERANCE = 1e-4;

const isLog = (t: string) => t === 'log' || t === 'log_normalize';

/** The ONNX feeds for these sources; with the input log transform the log features go in raw (expm1 of real entries). */
export function spanetUpstreamFeeds(spec: EventSpec, sources: CheckSource[], raw = false): Record<string, OnnxFeed> {
  const feeds: Record<string, OnnxFeed> = {};
  spec.inputs.forEach((input, i) => {
    const s = sources[i];
    const [B, T, F] = s.shape;
    const mask = Uint8Array.from(s.mask, (m) => (m ? 1 : 0));
    const data = Float32Array.from(s.data, (v, j) =>
      raw && isLog(input.features[j % F].transform) && mask[Math.floor(j / F)] ? Math.expm1(v) : v,
    );
    feeds[`${input.name}_data`] = { data, dims: [B, T, F] };
    feeds[`${input.name}_mask`] = { data: mask, dims: [B, T] };
  });
  return feeds;
}

/** The engine's eval forward as the exported outputs (names as spanetUpstreamOutputNames). */
async function engineExportOutputs(
  network: UpstreamJetReconstructionNetwork,
  spec: EventSpec,
  sources: CheckSource[],
  o: SpanetUpstreamOnnxOptions,
): Promise<Record<string, Float32Array>> {
  const e = network.engine;
  const wasTraining = network.training;
  network.eval();
  let tensors: Tensor<'f32'>[];
  try {
    tensors = e.scope(() => {
      const src = sources.map((s) => ({ data: e.fromArray(s.data, [...s.shape]), mask: s.mask }));
      const out = network.forward(src);
      const vectors: Tensor<'f32'>[] = [];
      if (o.outputEmbeddings) {
        // the summary vectors network.forward keeps to itself, in upstream's encoded_vectors order
        const { embeddings, masks, sequentialRows } = network.embedding.forward(src);
        const enc = network.encoder.forward(embeddings, masks);
        vectors.push(enc.particle);
        for (const d of network.branchDecoders) {
          const br = d.forward(enc.vectors, masks, sequentialRows);
          vectors.push(br.particle, ...br.daughters);
        }
      }
      return [
        ...out.assignments,
        ...out.detections,
        ...spec.regressions.map((r) => out.regressions[r]),
        ...spec.classifications.map((c) => out.classifications[c]),
        ...vectors,
      ];
    });
  } finally {
    network.train(wasTraining);
  }
  const host = await Promise.all(tensors.map((t) => t.read()));
  for (const t of tensors) t.dispose();
  const P = spec.particles.length;
  const R = spec.regressions.length;
  const log = !!o.outputLogTransform;
  const names = spanetUpstreamOutputNames(spec, o);
  return Object.fromEntries(
    host.map((v, i) => {
      let x: Float32Array = v;
      if (i < P) x = log ? v : v.map(Math.exp);
      else if (i < 2 * P) x = v.map((d) => (log ? -Math.log1p(Math.exp(-d)) : 1 / (1 + Math.exp(-d))));
      else if (i >= 2 * P + R && i < 2 * P + R + spec.classifications.length) {
        const C = tensors[i].shape[1];
        x = new Float32Array(v.length);
        for (let r = 0; r < v.length / C; r++) {
          const row = v.subarray(r * C, (r + 1) * C);
          const m = Math.max(...row);
          const lse = m + Math.log(row.reduce((a, y) => a + Math.exp(y - m), 0));
          row.forEach((y, c) => (x[r * C + c] = log ? y - lse : Math.exp(y - lse)));
        }
      }
      return [names[i], x];
    }),
  );
}

/** max |a − b| / (1 + |b|) over equally long arrays; −inf must meet −inf; NaN or a length mismatch is Infinity. */
function worstScaled(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === -Infinity || a[i] === -Infinity) {
      if (a[i] !== b[i]) return Infinity;
      continue;
    }
    const d = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** The ONNX bytes, after onnxruntime-web agreed with the engine on `sources`; `check` says by how much. */
export async function spanetUpstreamToCheckedOnnx(
  network: UpstreamJetReconstructionNetwork,
  spec: EventSpec,
  options: SpanetOptions,
  o: SpanetUpstreamOnnxOptions,
  sources: CheckSource[],
): Promise<{ bytes: Uint8Array; check: string }> {
  const bytes = await spanetUpstreamToOnnx(network, spec, options, o);
  const [onnx, ours] = await Promise.all([
    runOnnx(bytes, spanetUpstreamFeeds(spec, sources, o.inputLogTransform)),
    engineExportOutputs(network, spec, sources, o),
  ]);
  let worst = 0,
    where = '';
  for (const [name, want] of Object.entries(ours)) {
    const got = onnx[name];
    if (!got) throw new Error(`ONNX check: the model has no output ${name}`);
    const d = worstScaled(got.data, want);
    if (!(d <= worst)) [worst, where] = [d, name];
  }
  if (!(worst <= SPANET_ONNX_CHECK_TOLERANCE))
    throw new Error(
      `ONNX check failed: onnxruntime-web's ${where} differs from the engine by ${worst} scaled (allowed ${SPANET_ONNX_CHECK_TOLERANCE})`,
    );
  const B = sources[0].shape[0];
  return {
    bytes,
    check:
      `onnxruntime-web agrees on ${B} test events (opset ${o.opset ?? SPANET_ONNX_DEFAULT_OPSET}, ${Object.keys(ours).length} outputs): ` +
      `max |Δ| / (1 + |x|) = ${worst.toExponential(2)}${where ? ` (${where})` : ''} (tolerance ${SPANET_ONNX_CHECK_TOLERANCE})`,
  };
}

/** What the SPANet task's run holds that an export needs (structural: no import of the task). */
export interface SpanetV2RunLike {
  v2: { network: UpstreamJetReconstructionNetwork; options: SpanetOptions } | null;
  spec: EventSpec;
  test: { host: { sources: CheckSource[] } }[];
  config: { onnxInputLogTransform: boolean; logOutputs: boolean };
  lastOnnxCheck: string | null;
}

/** The task's spanet-v2 export: the config's switches unless `o` sets them, checked on the first test batch. */
export async function exportSpanetV2Onnx(run: SpanetV2RunLike, o: SpanetUpstreamOnnxOptions = {}): Promise<Uint8Array> {
  if (!run.v2) throw new Error('SPANet ONNX: the run has no spanet-v2 network');
  if (!run.test.length) throw new Error('SPANet ONNX: the run has no test events to check the export on');
  const opts = { inputLogTransform: run.config.onnxInputLogTransform, outputLogTransform: run.config.logOutputs, ...o };
  const { bytes, check } = await spanetUpstreamToCheckedOnnx(run.v2.network, run.spec, run.v2.options, opts, run.test[0].host.sources);
  run.lastOnnxCheck = check;
  return bytes;
}
