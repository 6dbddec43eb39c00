/**
 * Runs an exported ONNX model in onnxruntime-web (wasm backend, one thread) and compares it
 * with the engine's own outputs. Works in Node (tests) and in the browser (worker or page);
 * onnxruntime is loaded on first use so it does not weigh on pages that never export.
 */
export interface OnnxFeed {
  /** Uint8Array feeds are ONNX bool tensors (masks). */
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  dims: number[];
}

export interface OnnxOutput {
  data: Float32Array;
  dims: number[];
}

type Ort = typeof import('onnxruntime-web/wasm');
let ortPromise: Promise<Ort> | null = null;

function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web/wasm').then((ort) => {
    // Threads need cross-origin isolation in browsers and worker_threads in Node; a model this
    // size does not need them.
    ort.env.wasm.numThreads = 1;
    return ort;
  });
  return ortPromise;
}

const TYPE_OF = (d: OnnxFeed['data']) =>
  d instanceof Float32Array ? 'float32' : d instanceof Int32Array ? 'int32' : d instanceof Uint8Array ? 'bool' : 'int64';

/** Runs `model` on `feeds` and returns every float output. */
export async function runOnnx(model: Uint8Array, feeds: Record<string, OnnxFeed>): Promise<Record<string, OnnxOutput>> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    const inputs: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [name, f] of Object.entries(feeds)) inputs[name] = new ort.Tensor(TYPE_OF(f.data), f.data, f.dims);
    const results = await session.run(inputs);
    const out: Record<string, OnnxOutput> = {};
    for (const [name, t] of Object.entries(results)) {
      if (t.type === 'float32') out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
    }
    return out;
  } finally {
    await session.release();
  }
}

/** max |a - b| over equally long arrays (Infinity when lengths differ or a value is NaN). */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
