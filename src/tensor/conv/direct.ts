/**
 * The launches of the direct kernels (shaders/conv2d.wgsl) as plain descriptions: the op
 * (src/tensor/ops/conv2d.ts) dispatches them, and the tuner (select.ts) times the same
 * descriptions on its own buffers. tests/tensor/convGemm.test.ts runs them against the f64
 * references.
 */
import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import type { KernelSource } from '../../gpu/pipelineCache';
import { SHADERS } from '../../gpu/shaders';
import type { ConvShape } from './implicitGemm';
import type { ConvGemmKind } from './variant';

const variants = new Map<number, KernelSource>();

function directKernel(K: number): KernelSource {
  let v = variants.get(K);
  if (!v) {
    const code = SHADERS.conv2d.code.replace('const KFIXED: u32 = 0u;', `const KFIXED: u32 = ${K}u;`);
    if (code === SHADERS.conv2d.code) throw new Error('conv2d.wgsl lost its KFIXED declaration');
    v = { name: `${SHADERS.conv2d.name}[K=${K}]`, code };
    variants.set(K, v);
  }
  return v;
}

/** Pixels of the (n, oy, ox) sum one thread of the direct weight-gradient kernel adds up. */
const WEIGHT_GRAD_CHUNK = 512;

export interface DirectLaunch {
  kernel: KernelSource;
  entry: string;
  grid: [number, number, number];
  uniforms: Uniform[];
  /** Floats of the output binding (the weight gradient's chunk partials). */
  outFloats: number;
  /** Weight gradient: partial sums to add up (1: the output is the gradient itself). */
  chunks: number;
}

export function directLaunch(kind: ConvGemmKind, d: ConvShape, bias: boolean): DirectLaunch {
  const chunks = kind === 'weightGrad' ? Math.ceil((d.N * d.Ho * d.Wo) / WEIGHT_GRAD_CHUNK) : 1;
  const u = (v: number): Uniform => ['u32', v];
  const uniforms = [d.N, d.Cin, d.H, d.W, d.Cout, d.Ho, d.Wo, d.K, d.stride, d.pad, bias ? 1 : 0, WEIGHT_GRAD_CHUNK, chunks, 0, 0, 0].map(
    u,
  );
  const blocks = (c: number) => Math.ceil(c / 4);
  if (kind === 'forward') {
    const [x, y] = grid1d(d.N * blocks(d.Cout) * d.Ho * d.Wo);
    return { kernel: directKernel(d.K), entry: 'conv2d_forward', grid: [x, y, 1], uniforms, outFloats: d.N * d.Cout * d.Ho * d.Wo, chunks };
  }
  if (kind === 'inputGrad') {
    const [x, y] = grid1d(d.N * blocks(d.Cin) * d.H * d.W);
    return {
      kernel: directKernel(d.K),
      entry: 'conv2d_backward_input',
      grid: [x, y, 1],
      uniforms,
      outFloats: d.N * d.Cin * d.H * d.W,
      chunks,
    };
  }
  const threads = blocks(d.Cout) * blocks(d.Cin) * d.K * d.K;
  return {
    kernel: directKernel(d.K),
    entry: 'conv2d_weight_partials',
    grid: [Math.ceil(threads / 256), chunks, 1],
    uniforms,
    outFloats: chunks * d.Cout * d.Cin * d.K * d.K,
    chunks,
  };
}
