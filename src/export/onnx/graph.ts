/**
 * Builds an ONNX graph node by node: named inputs and outputs with (symbolic) shapes,
 * initializers for weights, and ops whose output names are generated. Nodes must be added
 * in dependency order, which the builder checks, so the result is a valid topologically
 * sorted graph. `encode()` returns the .onnx bytes.
 */
import {
  encodeModel,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxDType,
  type OnnxGraphProto,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './schema';

/** Shorthands for node attributes: attr.int(1), attr.string('add'), ... */
export const attr = {
  int: (value: number): OnnxAttribute => ({ type: 'int', value }),
  float: (value: number): OnnxAttribute => ({ type: 'float', value }),
  string: (value: string): OnnxAttribute => ({ type: 'string', value }),
  ints: (value: number[]): OnnxAttribute => ({ type: 'ints', value }),
  floats: (value: number[]): OnnxAttribute => ({ type: 'floats', value }),
  tensor: (value: OnnxTensor): OnnxAttribute => ({ type: 'tensor', value }),
};

export interface EncodeOptions {
  /** Default-domain opset; 17 unless an op needs a newer one. */
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  doc?: string;
  metadata?: Record<string, string>;
}

export class OnnxGraphBuilder {
  private nodes: OnnxNode[] = [];
  private initializers: (OnnxTensor & { name: string })[] = [];
  private inputs: OnnxValueInfo[] = [];
  private outputs: OnnxValueInfo[] = [];
  /** Every value name defined so far (graph inputs, initializers, node outputs). */
  private defined = new Set<string>();
  private nodeNames = new Set<string>();
  private counters = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly doc?: string,
  ) {}

  /** A value name not used yet, derived from `base`. */
  fresh(base: string, taken: Set<string> = this.defined): string {
    const key = `${taken === this.defined ? 'v' : 'n'}:${base}`;
    let n = this.counters.get(key) ?? 0;
    let name = base;
    while (taken.has(name)) name = `${base}_${++n}`;
    this.counters.set(key, n);
    return name;
  }

  private nodeName(base: string): string {
    const name = this.fresh(base, this.nodeNames);
    this.nodeNames.add(name);
    return name;
  }

  private define(name: string): string {
    if (!name) throw new Error('ONNX: empty value name');
    if (this.defined.has(name)) throw new Error(`ONNX: value "${name}" defined twice`);
    this.defined.add(name);
    return name;
  }

  input(name: string, dtype: OnnxDType, dims: OnnxDim[], doc?: string): string {
    this.inputs.push({ name: this.define(name), dtype, dims, doc });
    return name;
  }

  /** Declares an already computed value as a graph output. */
  output(name: string, dtype: OnnxDType, dims: OnnxDim[], doc?: string): void {
    if (!this.defined.has(name)) throw new Error(`ONNX: output "${name}" is never computed`);
    this.outputs.push({ name, dtype, dims, doc });
  }

  /** A constant tensor stored in the model (weights, shapes, scalars). */
  initializer(base: string, tensor: OnnxTensor): string {
    const name = this.define(this.fresh(base));
    this.initializers.push({ ...tensor, name });
    return name;
  }

  floats(base: string, data: ArrayLike<number>, dims: number[] = [data.length]): string {
    return this.initializer(base, { dtype: 'float', dims, data: Float32Array.from(data) });
  }

  int64s(base: string, data: number[], dims: number[] = [data.length]): string {
    return this.initializer(base, { dtype: 'int64', dims, data });
  }

  /** Adds a node; returns its output names (`outputs` of them, named after `base`). */
  nodeN(
    opType: string,
    inputs: string[],
    outputs: number,
    attributes: Record<string, OnnxAttribute> = {},
    base = opType.toLowerCase(),
  ): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.defined.has(i)) throw new Error(`ONNX: ${opType} reads "${i}" before it is defined`);
    }
    const outs = Array.from({ length: outputs }, () => this.define(this.fresh(base)));
    this.nodes.push({ opType, inputs, outputs: outs, name: this.nodeName(base), attributes });
    return outs;
  }

  /** Adds a single-output node and returns the output's name. */
  node(opType: string, inputs: string[], attributes: Record<string, OnnxAttribute> = {}, base?: string): string {
    return this.nodeN(opType, inputs, 1, attributes, base)[0];
  }

  /** Gives a computed value a fixed public name (through an Identity node). */
  alias(value: string, name: string): string {
    if (this.defined.has(name)) throw new Error(`ONNX: value "${name}" defined twice`);
    const out = this.define(name);
    this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [out], name: this.nodeName(name), attributes: {} });
    return out;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  proto(): OnnxGraphProto {
    if (!this.outputs.length) throw new Error('ONNX: the graph has no outputs');
    return {
      name: this.name,
      doc: this.doc,
      nodes: [...this.nodes],
      initializers: [...this.initializers],
      inputs: [...this.inputs],
      outputs: [...this.outputs],
    };
  }

  encode(opts: EncodeOptions = {}): Uint8Array {
    return encodeModel({
      graph: this.proto(),
      opset: opts.opset ?? 17,
      producerName: opts.producerName ?? 'physml-workbench',
      producerVersion: opts.producerVersion ?? '0.1.0',
      doc: opts.doc,
      metadata: opts.metadata,
    });
  }
}
