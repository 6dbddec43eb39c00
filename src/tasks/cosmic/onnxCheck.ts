// The cosmic network as ONNX, checked in onnxruntime-web against the engine on one event.
import { maxAbsDifference, runOnnx } from '../../export/verifyOnnx';
import type { CosmicUResNet } from '../../nn/cosmicUResNet';
import { cosmicUResNetToOnnx } from '../../nn/cosmicUResNetOnnx';
import type { Engine } from '../../tensor/engine';

const ONNX_TOLERANCE = 1e-3;

/**
 * Exports `model` in eval mode (image [B, P, H, W] → logits [B, P, 3, H, W], H and W free) and
 * runs the ONNX file on `image` (one event, [1, P, H, W]) against the engine's eval-mode
 * logits. Returns the bytes and a line saying what was checked; throws when they differ.
 */
export async function checkedCosmicOnnx(
  engine: Engine,
  model: CosmicUResNet,
  image: Float32Array,
  dims: [number, number, number, number],
  what: string,
): Promise<{ bytes: Uint8Array; check: string }> {
  const wasTraining = model.training;
  model.eval();
  try {
    const bytes = await cosmicUResNetToOnnx(model);
    const y = engine.scope(() => model.forward(engine.fromArray(image, dims)));
    const ours = await y.read();
    y.dispose();
    const out = await runOnnx(bytes, { image: { data: image, dims } });
    const diff = maxAbsDifference(out.logits?.data ?? [], ours);
    let largest = 1;
    for (const v of ours) largest = Math.max(largest, Math.abs(v));
    // Same f32 arithmetic in another order (tests/cosmic/cosmicOnnx.test.ts: ~1e-6 of the
    // largest logit); 1e-3 of max(1, largest logit) is a clear margin.
    const allowed = ONNX_TOLERANCE * largest;
    if (!(diff <= allowed)) throw new Error(`ONNX check failed: onnxruntime-web differs from the engine by ${diff} (allowed ${allowed})`);
    return {
      bytes,
      check: `onnxruntime-web agrees on the ${dims[1]} planes of ${what}: max |Δ logit| = ${diff.toExponential(2)} (tolerance ${allowed.toExponential(2)})`,
    };
  } finally {
    model.train(wasTraining);
  }
}
