import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import { launchReduce } from '../kernels';
import { convTransposeOutSize, convTransposeRef, type ConvTransposeGeometry } from '../reference/convTranspose';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type ConvTransposeAttrs = ConvTransposeGeometry;

/** (n, iy, ix) terms one thread of the weight-gradient kernel adds up. */
const WEIGHT_GRAD_CHUNK = 512;

interface Dims {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  KH: number;
  KW: number;
  Ho: number;
  Wo: number;
}

function dims(x: Tensor, w: Tensor, g: ConvTransposeAttrs): Dims {
  if (x.rank !== 4 || w.rank !== 4)
    throw new Error(`convTranspose2d: need x [N,Cin,H,W] and w [Cin,Cout,KH,KW], got [${x.shape}] and [${w.shape}]`);
  const [N, Cin, H, W] = x.shape;
  const [wCin, Cout, KH, KW] = w.shape;
  if (wCin !== Cin) throw new Error(`convTranspose2d: weight [${w.shape}] does not fit input [${x.shape}] (weight is [in, out, kh, kw])`);
  for (let a = 0; a < 2; a++) {
    const [s, pad, op] = [g.stride[a], g.padding[a], g.outputPadding[a]];
    if (!(Number.isInteger(s) && s >= 1 && pad >= 0 && op >= 0))
      throw new Error(`convTranspose2d: bad stride/padding ${JSON.stringify(g)}`);
    // torch: output_padding must be smaller than the stride (dilation 1).
    if (op >= s) throw new Error(`convTranspose2d: output_padding ${op} must be smaller than stride ${s}`);
  }
  const Ho = convTransposeOutSize(H, KH, g.stride[0], g.padding[0], g.outputPadding[0]);
  const Wo = convTransposeOutSize(W, KW, g.stride[1], g.padding[1], g.outputPadding[1]);
  if (Ho < 1 || Wo < 1) throw new Error(`convTranspose2d: output would be ${Ho}×${Wo}`);
  return { N, Cin, H, W, Cout, KH, KW, Ho, Wo };
}

function uniforms(d: Dims, g: ConvTransposeAttrs, hasBias: boolean): Uniform[] {
  return [
    ['u32', d.N],
    ['u32', d.Cin],
    ['u32', d.H],
    ['u32', d.W],
    ['u32', d.Cout],
    ['u32', d.Ho],
    ['u32', d.Wo],
    ['u32', d.KH],
    ['u32', d.KW],
    ['u32', g.stride[0]],
    ['u32', g.stride[1]],
    ['u32', g.padding[0]],
    ['u32', g.padding[1]],
    ['u32', hasBias ? 1 : 0],
    ['u32', WEIGHT_GRAD_CHUNK],
    ['u32', 0],
  ];
}

function weightGradient(e: Engine, x: Tensor, w: Tensor, dy: Tensor, d: Dims, g: ConvTransposeAttrs): Tensor<'f32'> {
  const nw = w.size;
  const chunks = Math.ceil((d.N * d.H * d.W) / WEIGHT_GRAD_CHUNK);
  if (chunks > 65535 || Math.ceil(nw / 256) > 65535)
    throw new Error(`convTranspose2d: weight gradient of [${w.shape}] over ${chunks} chunks exceeds one dispatch`);
  const dw = e.empty(w.shape);
  const target = chunks === 1 ? dw.buffer : e.gpu.alloc(chunks * nw * 4, 'convT-dw-partials');
  e.gpu.dispatch(
    SHADERS.convTranspose,
    'conv_transpose_weight_partials',
    [x.buffer, dy.buffer, target],
    [Math.ceil(nw / 256), chunks],
    uniforms(d, g, false),
  );
  if (chunks > 1) {
    launchReduce(e.gpu, target, dw.buffer, 1, chunks, nw, 1);
    e.gpu.release(target);
  }
  return dw;
}

function biasGradient(e: Engine, dy: Tensor, d: Dims): Tensor<'f32'> {
  const rows = e.gpu.alloc(d.N * d.Cout * 4, 'convT-db-rows');
  launchReduce(e.gpu, dy.buffer, rows, d.N * d.Cout, d.Ho * d.Wo, 1, 1);
  const db = e.empty([d.Cout]);
  launchReduce(e.gpu, rows, db.buffer, 1, d.N, d.Cout, 1);
  e.gpu.release(rows);
  return db;
}

/** torch.nn.functional.conv_transpose2d (groups 1, dilation 1); inputs x, w [Cin, Cout, KH, KW], optional bias [Cout]. */
export const convTranspose2dOp = registerOp<ConvTransposeAttrs>({
  name: 'convTranspose2d',
  differentiable: [true, true, true],
  forward(e, [x, w, bias], g) {
    const d = dims(x, w, g);
    if (bias && (bias.rank !== 1 || bias.size !== d.Cout)) throw new Error(`convTranspose2d: bias [${bias.shape}] needs ${d.Cout} entries`);
    const y = e.empty([d.N, d.Cout, d.Ho, d.Wo]);
    e.gpu.dispatch(
      SHADERS.convTranspose,
      'conv_transpose_forward',
      [x.buffer, w.buffer, bias?.buffer ?? e.gpu.placeholder('read'), y.buffer],
      grid1d(y.size),
      uniforms(d, g, !!bias),
    );
    return { output: y };
  },
  backward(e, node, dy, needs) {
    const [x, w, bias] = node.inputs;
    const g = node.attrs;
    const d = dims(x, w, g);
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      dx = e.empty(x.shape);
      e.gpu.dispatch(
        SHADERS.convTranspose,
        'conv_transpose_backward_input',
        [dy.buffer, w.buffer, dx.buffer],
        grid1d(x.size),
        uniforms(d, g, false),
      );
    }
    const dw = needs[1] ? weightGradient(e, x, w, dy, d, g) : null;
    const db = bias && needs[2] ? biasGradient(e, dy, d) : null;
    return [dx, dw, db];
  },
  reference: ([x, w, bias], g) => convTransposeRef(x, w, bias ?? null, g),
});

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

export function convTranspose2d(
  x: Tensor<'f32'>,
  w: Tensor<'f32'>,
  bias: Tensor<'f32'> | undefined,
  opts: { stride?: number | [number, number]; padding?: number | [number, number]; outputPadding?: number | [number, number] } = {},
): Tensor<'f32'> {
  const attrs: ConvTransposeAttrs = {
    stride: pair(opts.stride ?? 1),
    padding: pair(opts.padding ?? 0),
    outputPadding: pair(opts.outputPadding ?? 0),
  };
  return x.engine.apply(convTranspose2dOp, bias ? [x, w, bias] : [x, w], attrs) as Tensor<'f32'>;
}
