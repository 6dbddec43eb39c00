import { convGemmIfChosen } from '../conv/dispatch';
import { directLaunch } from '../conv/direct';
import type { ConvShape } from '../conv/implicitGemm';
import type { Engine } from '../engine';
import { launchReduce } from '../kernels';
import { conv2dRef, convOutSize, type Conv2dGeometry } from '../reference/conv2d';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type Conv2dAttrs = Conv2dGeometry;

/** The sizes; stride and pad stay in the attributes. */
type ConvDims = Omit<ConvShape, 'stride' | 'pad'>;

function convDims(x: Tensor, w: Tensor, at: Conv2dAttrs): ConvDims {
  if (x.rank !== 4 || w.rank !== 4) throw new Error(`conv2d: need x [N,C,H,W] and w [Cout,Cin,K,K], got [${x.shape}] and [${w.shape}]`);
  const [N, Cin, H, W] = x.shape;
  const [Cout, wCin, K, K2] = w.shape;
  if (wCin !== Cin || K !== K2) throw new Error(`conv2d: weight [${w.shape}] does not fit input [${x.shape}] (square kernels only)`);
  if (!(at.stride >= 1) || !(at.pad >= 0)) throw new Error(`conv2d: bad stride ${at.stride} / pad ${at.pad}`);
  const Ho = convOutSize(H, K, at.stride, at.pad);
  const Wo = convOutSize(W, K, at.stride, at.pad);
  if (Ho < 1 || Wo < 1) throw new Error(`conv2d: kernel ${K} does not fit a ${H}×${W} image with pad ${at.pad}`);
  return { N, Cin, H, W, Cout, K, Ho, Wo };
}

/** dW = Σ_{n, oy, ox} dy ⊗ x-window, as chunk partials (one launch) plus their deterministic sum. */
function weightGradient(e: Engine, x: Tensor, w: Tensor, dy: Tensor, d: ConvDims, at: Conv2dAttrs): Tensor<'f32'> {
  const nw = w.size;
  const dw = e.empty(w.shape);
  if (convGemmIfChosen(e.gpu, 'weightGrad', { ...d, ...at }, [dy.buffer, x.buffer, dw.buffer])) return dw; // implicit GEMM (src/tensor/conv/)
  const l = directLaunch('weightGrad', { ...d, ...at }, false);
  const chunks = l.chunks;
  if (chunks > 65535) throw new Error(`conv2d: ${chunks} weight-gradient chunks exceed one dispatch`);
  const target = chunks === 1 ? dw.buffer : e.gpu.alloc(chunks * nw * 4, 'conv-dw-partials');
  e.gpu.dispatch(l.kernel, l.entry, [dy.buffer, x.buffer, target], l.grid, l.uniforms);
  if (chunks > 1) {
    launchReduce(e.gpu, target, dw.buffer, 1, chunks, nw, 1);
    e.gpu.release(target);
  }
  return dw;
}

/** dB[co] = Σ_{n, oy, ox} dy: per-(n, co) row sums, then a sum over n. */
function biasGradient(e: Engine, dy: Tensor, d: ConvDims): Tensor<'f32'> {
  const rows = e.gpu.alloc(d.N * d.Cout * 4, 'conv-db-rows');
  launchReduce(e.gpu, dy.buffer, rows, d.N * d.Cout, d.Ho * d.Wo, 1, 1);
  const db = e.empty([d.Cout]);
  launchReduce(e.gpu, rows, db.buffer, 1, d.N, d.Cout, 1);
  e.gpu.release(rows);
  return db;
}

/**
 * inputs: x [N, Cin, H, W], w [Cout, Cin, K, K], optional bias [Cout]. Square kernels, one
 * stride and one zero padding for both axes (all the U-ResNet needs: 5×5, 3×3, 1×1, 2×2/2).
 */
export const conv2dOp = registerOp<Conv2dAttrs>({
  name: 'conv2d',
  differentiable: [true, true, true],
  forward(e, [x, w, bias], at) {
    const d = convDims(x, w, at);
    if (bias && (bias.rank !== 1 || bias.size !== d.Cout)) throw new Error(`conv2d: bias [${bias.shape}] needs ${d.Cout} entries`);
    const y = e.empty([d.N, d.Cout, d.Ho, d.Wo]);
    if (!convGemmIfChosen(e.gpu, 'forward', { ...d, ...at }, [x.buffer, w.buffer, bias?.buffer ?? null, y.buffer])) {
      const l = directLaunch('forward', { ...d, ...at }, !!bias);
      e.gpu.dispatch(l.kernel, l.entry, [x.buffer, w.buffer, bias?.buffer ?? e.gpu.placeholder('read'), y.buffer], l.grid, l.uniforms);
    }
    return { output: y };
  },
  backward(e, node, dy, needs) {
    const [x, w, bias] = node.inputs;
    const at = node.attrs;
    const d = convDims(x, w, at);
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      dx = e.empty(x.shape);
      if (!convGemmIfChosen(e.gpu, 'inputGrad', { ...d, ...at }, [dy.buffer, w.buffer, dx.buffer])) {
        const l = directLaunch('inputGrad', { ...d, ...at }, false);
        e.gpu.dispatch(l.kernel, l.entry, [dy.buffer, w.buffer, dx.buffer], l.grid, l.uniforms);
      }
    }
    const dw = needs[1] ? weightGradient(e, x, w, dy, d, at) : null;
    const db = bias && needs[2] ? biasGradient(e, dy, d) : null;
    return [dx, dw, db];
  },
  reference: ([x, w, bias], at) => conv2dRef(x, w, bias ?? null, at),
});

export function conv2d(x: Tensor<'f32'>, w: Tensor<'f32'>, bias: Tensor<'f32'> | undefined, attrs: Conv2dAttrs): Tensor<'f32'> {
  return x.engine.apply(conv2dOp, bias ? [x, w, bias] : [x, w], attrs) as Tensor<'f32'>;
}
