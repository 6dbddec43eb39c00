/** Host copies of a model's parameters by name, as exporters (safetensors, ONNX) take them. */
export type NamedWeights = Record<string, { shape: number[]; data: Float32Array }>;

/** Reads named parameter tensors back from the GPU. */
export async function readNamedWeights(
  params: Iterable<readonly [string, { shape: readonly number[]; read(): Promise<Float32Array> }]>,
): Promise<NamedWeights> {
  const out: NamedWeights = {};
  for (const [name, t] of params) out[name] = { shape: [...t.shape], data: await t.read() };
  return out;
}

/** The float entries of a module's state dict, as the ONNX exporters take them. */
export async function moduleWeights(model: { stateDict(): Promise<import('./stateDict').StateDict> }): Promise<NamedWeights> {
  const out: NamedWeights = {};
  for (const [name, e] of Object.entries(await model.stateDict())) {
    if (e.dtype === 'F32') out[name] = { shape: e.shape, data: e.data };
  }
  return out;
}
