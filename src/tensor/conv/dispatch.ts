/**
 * The op's entry to the GEMM path (src/tensor/ops/conv2d.ts): records the product with the
 * implicit-GEMM kernel when the tuner (select.ts) chose it for this shape and returns true;
 * returns false, recording nothing, when the direct kernel should run.
 */
import type { GpuContext } from '../../gpu/context';
import { launchConvGemmForward, launchConvGemmInputGrad, launchConvGemmWeightGrad, type ConvShape } from './implicitGemm';
import { convEngine } from './select';

/** forward: [x, w, bias | null, y]; inputGrad: [dy, w, dx]; weightGrad: [dy, x, dw]. */
export function convGemmIfChosen(
  g: GpuContext,
  kind: 'forward',
  d: ConvShape,
  buffers: [GPUBuffer, GPUBuffer, GPUBuffer | null, GPUBuffer],
): boolean;
export function convGemmIfChosen(
  g: GpuContext,
  kind: 'inputGrad' | 'weightGrad',
  d: ConvShape,
  buffers: [GPUBuffer, GPUBuffer, GPUBuffer],
): boolean;
export function convGemmIfChosen(
  g: GpuContext,
  kind: 'forward' | 'inputGrad' | 'weightGrad',
  d: ConvShape,
  buffers: (GPUBuffer | null)[],
): boolean {
  const choice = convEngine(g, kind, d);
  if (choice.engine !== 'gemm') return false;
  const [a, b, c, out] = buffers;
  if (kind === 'forward') launchConvGemmForward(g, a!, b!, c, out!, d, choice.tile);
  else if (kind === 'inputGrad') launchConvGemmInputGrad(g, a!, b!, c!, d, choice.tile);
  else launchConvGemmWeightGrad(g, a!, b!, c!, d, choice.tile);
  return true;
}
