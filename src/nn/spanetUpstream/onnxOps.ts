/**
 * ONNX spellings of the upstream SPANet port's primitives, for one opset: weights by their
 * state-dict names, linear layers on any rank, LayerNorm (the op from opset 17, composed
 * below it), activations as the port computes them (GELU exact, with Erf), and the shape
 * helpers that keep the batch and vector axes dynamic.
 */
import { attr, OnnxGraphBuilder } from '../../export/onnx';
import type { StateDict } from '../stateDict';
import { entryToFloat32 } from '../stateDict';
import type { Linear } from '../linear';
import type { Tensor } from '../../tensor/tensor';
import type { ActivationBlock } from './activation';

/** Opsets the exporter writes: 14 is the first with every op it uses (upstream: "needs to be >= 14"). */
export const SPANET_ONNX_OPSETS = [14, 15, 16, 17, 18] as const;
/** upstream's spanet/export.py --opset default. */
export const SPANET_ONNX_DEFAULT_OPSET = 15;

export class SpanetOnnxEmitter {
  readonly b: OnnxGraphBuilder;
  private readonly names = new Map<Tensor, string>();
  private readonly made = new Map<string, string>();
  private readonly consts = new Map<string, string>();

  constructor(
    readonly opset: number,
    layout: [string, { tensor: Tensor }][],
    private readonly state: StateDict,
    name: string,
    doc: string,
  ) {
    if (!(SPANET_ONNX_OPSETS as readonly number[]).includes(opset))
      throw new Error(`SPANet ONNX: opset ${opset} is not supported (supported: ${SPANET_ONNX_OPSETS.join(', ')})`);
    this.b = new OnnxGraphBuilder(name, doc);
    // The first state name of a shared tensor wins, as torch's exporter names one initializer.
    for (const [n, { tensor }] of layout) if (!this.names.has(tensor)) this.names.set(tensor, n);
  }

  private stateName(t: Tensor): string {
    const n = this.names.get(t);
    if (!n) throw new Error('SPANet ONNX: a tensor of the network is not in its state dict');
    return n;
  }

  /** The tensor's values as an initializer named by its state-dict key (made once). */
  weight(t: Tensor, shape: number[] = [...t.shape]): string {
    const n = this.stateName(t);
    const key = `${n}|${shape.join(',')}`;
    let v = this.made.get(key);
    if (!v) {
      v = this.b.floats(n, entryToFloat32(this.state[n]), shape);
      this.made.set(key, v);
    }
    return v;
  }

  /** A [out, in] weight as MatMul takes it on [..., in] inputs: [in, out]. */
  private weightT(l: Linear): string {
    const n = `${this.stateName(l.weight)}_transposed`;
    let v = this.made.get(n);
    if (!v) {
      const w = entryToFloat32(this.state[this.stateName(l.weight)]);
      const [o, i] = [l.outFeatures, l.inFeatures];
      const t = new Float32Array(w.length);
      for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = w[r * i + c];
      v = this.b.floats(n, t, [i, o]);
      this.made.set(n, v);
    }
    return v;
  }

  /** Rows [start, start + rows) of a [R, C] weight, transposed to [C, rows] (q / k / v of in_proj_weight). */
  rowsTransposed(t: Tensor, start: number, rows: number): string {
    const n = this.stateName(t);
    const key = `${n}[${start}:${start + rows}]_transposed`;
    let v = this.made.get(key);
    if (!v) {
      const C = t.shape[1];
      const w = entryToFloat32(this.state[n]);
      const out = new Float32Array(rows * C);
      for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) out[c * rows + r] = w[(start + r) * C + c];
      v = this.b.floats(key, out, [C, rows]);
      this.made.set(key, v);
    }
    return v;
  }

  /** Entries [start, start + count) of a vector (q / k / v of in_proj_bias). */
  rowSlice(t: Tensor, start: number, count: number): string {
    const n = this.stateName(t);
    const key = `${n}[${start}:${start + count}]`;
    let v = this.made.get(key);
    if (!v) {
      v = this.b.floats(key, entryToFloat32(this.state[n]).slice(start, start + count), [count]);
      this.made.set(key, v);
    }
    return v;
  }

  /** A float scalar constant (shared by value). */
  scalar(value: number): string {
    const key = `f:${value}`;
    let v = this.consts.get(key);
    if (!v) {
      v = this.b.floats(Number.isFinite(value) ? 'const' : 'neg_inf', [value], []);
      this.consts.set(key, v);
    }
    return v;
  }

  /** An int64 vector constant (shared by value). */
  ints(values: number[]): string {
    const key = `i:${values.join(',')}`;
    let v = this.consts.get(key);
    if (!v) {
      v = this.b.int64s('const_i64', values);
      this.consts.set(key, v);
    }
    return v;
  }

  intScalar(value: number): string {
    const key = `is:${value}`;
    let v = this.consts.get(key);
    if (!v) {
      v = this.b.initializer('const_i64', { dtype: 'int64', dims: [], data: [value] });
      this.consts.set(key, v);
    }
    return v;
  }

  node(op: string, inputs: string[], attrs: Record<string, ReturnType<typeof attr.int>> = {}): string {
    return this.b.node(op, inputs, attrs);
  }

  add = (a: string, c: string) => this.node('Add', [a, c]);
  sub = (a: string, c: string) => this.node('Sub', [a, c]);
  mul = (a: string, c: string) => this.node('Mul', [a, c]);
  div = (a: string, c: string) => this.node('Div', [a, c]);
  unsqueeze = (x: string, axes: number[]) => this.node('Unsqueeze', [x, this.ints(axes)]);
  reshape = (x: string, shape: string | number[]) => this.node('Reshape', [x, typeof shape === 'string' ? shape : this.ints(shape)]);
  transpose = (x: string, perm: number[]) => this.node('Transpose', [x], { perm: attr.ints(perm) });
  concat = (xs: string[], axis: number) => (xs.length === 1 ? xs[0] : this.node('Concat', xs, { axis: attr.int(axis) }));
  shape = (x: string) => this.node('Shape', [x]);
  /** Dimensions [start, end) of x's shape, as an int64 vector. */
  dims = (x: string, start: number, end: number) => this.node('Slice', [this.shape(x), this.ints([start]), this.ints([end])]);
  castFloat = (x: string) => this.node('Cast', [x], { to: attr.int(1) });
  /** A tensor of `shape` (an int64 vector value) filled with a float or bool constant. */
  filled(shape: string, value: number | boolean): string {
    const tensor =
      typeof value === 'boolean'
        ? { dtype: 'bool' as const, dims: [1], data: [value ? 1 : 0] }
        : { dtype: 'float' as const, dims: [1], data: [value] };
    return this.node('ConstantOfShape', [shape], { value: attr.tensor(tensor) });
  }

  /** ReduceMean over the last axis, keeping it: axes moved from attribute to input in opset 18. */
  meanLast(x: string): string {
    return this.opset >= 18
      ? this.node('ReduceMean', [x, this.ints([-1])], { keepdims: attr.int(1) })
      : this.node('ReduceMean', [x], { axes: attr.ints([-1]), keepdims: attr.int(1) });
  }

  sumAxis(x: string, axis: number, keep: boolean): string {
    return this.node('ReduceSum', [x, this.ints([axis])], { keepdims: attr.int(keep ? 1 : 0) });
  }

  /** x · Wᵀ + b on [..., in] (MatMul + Add), with the Linear's fused activation (none or relu). */
  linear(x: string, l: Linear): string {
    let y = this.node('MatMul', [x, this.weightT(l)]);
    if (l.bias) y = this.add(y, this.weight(l.bias));
    if (l.activation === 'relu') return this.node('Relu', [y]);
    if (l.activation !== 'none') throw new Error(`SPANet ONNX: Linear activation ${l.activation} is not used by the network`);
    return y;
  }

  /** torch's LayerNorm over the last axis: the op from opset 17, mean / variance / rsqrt below it. */
  layerNorm(x: string, weight: Tensor, bias: Tensor, eps: number): string {
    if (this.opset >= 17)
      return this.node('LayerNormalization', [x, this.weight(weight), this.weight(bias)], {
        axis: attr.int(-1),
        epsilon: attr.float(eps),
      });
    const d = this.sub(x, this.meanLast(x));
    const v = this.meanLast(this.mul(d, d));
    const normed = this.div(d, this.node('Sqrt', [this.add(v, this.scalar(eps))]));
    return this.add(this.mul(normed, this.weight(weight)), this.weight(bias));
  }

  /** nn.GELU(): 0.5 · x · (1 + erf(x / √2)). */
  geluErf(x: string): string {
    const e = this.node('Erf', [this.mul(x, this.scalar(Math.SQRT1_2))]);
    return this.mul(this.mul(x, this.add(e, this.scalar(1))), this.scalar(0.5));
  }

  activation(x: string, a: ActivationBlock): string {
    switch (a.kind) {
      case 'gelu':
        return this.geluErf(x);
      case 'relu':
        return this.node('Relu', [x]);
      case 'elu':
      case 'celu': // CELU with α = 1 is ELU
        return this.node('Elu', [x], { alpha: attr.float(1) });
      case 'prelu':
        return this.node('PRelu', [x, this.weight(a.slope!)]);
      default:
        return x;
    }
  }

  sigmoid = (x: string) => this.node('Sigmoid', [x]);
  tanh = (x: string) => this.node('Tanh', [x]);
}
