/**
 * The parts of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) that a model writer
 * needs, as field numbers and encoders. Tensor contents always go to `raw_data`
 * (little-endian), which every runtime reads.
 */
import { ProtoWriter } from './protobuf';

/** TensorProto.DataType values. */
export const ONNX_DTYPE = { float: 1, int32: 6, int64: 7, bool: 9 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

/** AttributeProto.AttributeType values. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

/** IR version 8 is the one that goes with opsets 17 and 18. */
export const IR_VERSION = 8;

export interface OnnxTensor {
  dtype: OnnxDType;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | number[];
}

export type OnnxAttribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: OnnxTensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: Record<string, OnnxAttribute>;
}

/** A dimension is a fixed size or a symbolic name ("num_elements"). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  dtype: OnnxDType;
  dims: OnnxDim[];
  doc?: string;
}

export interface OnnxGraphProto {
  name: string;
  nodes: OnnxNode[];
  initializers: (OnnxTensor & { name: string })[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  doc?: string;
}

export interface OnnxModelProto {
  graph: OnnxGraphProto;
  opset: number;
  producerName: string;
  producerVersion: string;
  doc?: string;
  metadata?: Record<string, string>;
}

function elementCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The tensor's values as little-endian bytes of its ONNX type. */
export function tensorBytes(t: OnnxTensor): Uint8Array {
  const n = elementCount(t.dims);
  if (t.data.length !== n) throw new Error(`ONNX tensor: ${t.data.length} values for dims [${t.dims}]`);
  let typed: ArrayBufferView;
  if (t.dtype === 'float') typed = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
  else if (t.dtype === 'int32') typed = t.data instanceof Int32Array ? t.data : Int32Array.from(t.data as ArrayLike<number>);
  else if (t.dtype === 'int64') {
    typed = t.data instanceof BigInt64Array ? t.data : BigInt64Array.from(Array.from(t.data as ArrayLike<number>, (v) => BigInt(v)));
  } else typed = Uint8Array.from(t.data as ArrayLike<number>, (v) => (v ? 1 : 0));
  // Typed arrays are in platform order; every supported host (x86, ARM, wasm) is little-endian.
  return new Uint8Array(typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength));
}

function writeTensor(w: ProtoWriter, t: OnnxTensor, name?: string): void {
  w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  if (name) w.string(8, name);
  w.bytes(9, tensorBytes(t));
}

function writeAttribute(w: ProtoWriter, name: string, a: OnnxAttribute): void {
  w.string(1, name);
  w.int(20, ATTR_TYPE[a.type]);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
  }
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attributes)) w.message(5, (m) => writeAttribute(m, k, a));
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  // TypeProto { tensor_type: TypeProto.Tensor { elem_type, shape: TensorShapeProto { dim* } } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ONNX_DTYPE[v.dtype]);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
  if (v.doc) w.string(3, v.doc);
}

function writeGraph(w: ProtoWriter, g: OnnxGraphProto): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t, t.name));
  if (g.doc) w.string(10, g.doc);
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/** Serialises a ModelProto. */
export function encodeModel(m: OnnxModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.doc) w.string(6, m.doc);
  w.message(7, (g) => writeGraph(g, m.graph));
  w.message(8, (o) => o.string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}
