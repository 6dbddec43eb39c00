// A small ONNX writer: protobuf encoder, schema encoders and a graph builder.
export { ProtoWriter } from './protobuf';
export { encodeModel, IR_VERSION, ONNX_DTYPE, tensorBytes, type OnnxAttribute, type OnnxDType, type OnnxTensor } from './schema';
export { attr, OnnxGraphBuilder, type EncodeOptions } from './graph';
export { addDense, addActivation } from './layers';
