/**
 * The upstream SPANet network (UpstreamJetReconstructionNetwork) as ONNX with the interface of
 * upstream's spanet/export.py (WrappedModel + onnx_specification, commit 46c6805):
 *  inputs  per event-file input in file order `{input}_data` float [batch_size, num_{input}, F]
 *          and `{input}_mask` bool [batch_size, num_{input}] (global inputs too: their mask
 *          enters the padding and sequence masks as upstream's);
 *  outputs `{particle}_assignment_probability` [B, N, …] per event particle (0 for invalid
 *          tuples: the log-softmax of −inf; log-probabilities and −inf with outputLogTransform),
 *          `{particle}_detection_probability` [B] (sigmoid; logsigmoid), one [B] per regression,
 *          one [B, C] per classification (softmax; log-softmax), and with outputEmbeddings
 *          `EVENT/embedding_vector`, `{p}/PARTICLE/embedding_vector`, `{p}/{product}/embedding_vector` [B, D].
 * N is the number of sequential vectors (the sum over sequential inputs). inputLogTransform puts
 * upstream's mask · log(x + 1) of the log features inside the graph.
 */
import type { EventSpec } from '../../tasks/spanet/eventSpec';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { attr } from '../../export/onnx';
import { optionBool } from './config';
import type { UpstreamJetReconstructionNetwork } from './network';
import { blockContext, branchLinear, linearBlock, stackedEncoder, type BlockContext } from './onnxBlocks';
import { SPANET_ONNX_DEFAULT_OPSET, SpanetOnnxEmitter } from './onnxOps';
import type { BranchDecoder } from './branchDecoder';

export { SPANET_ONNX_DEFAULT_OPSET, SPANET_ONNX_OPSETS } from './onnxOps';

export interface SpanetUpstreamOnnxOptions {
  /** Default-domain opset (upstream's --opset, default 15). */
  opset?: number;
  /** upstream's --input-log-transform: raw features in, mask · log(x + 1) of log features in the graph. */
  inputLogTransform?: boolean;
  /** upstream's --output-log-transform: log-probabilities out. */
  outputLogTransform?: boolean;
  /** upstream's --output-embeddings: the summary vectors as extra outputs. */
  outputEmbeddings?: boolean;
}

const isLog = (t: string) => t === 'log' || t === 'log_normalize';

/** Output names in upstream's order (onnx_specification). */
export function spanetUpstreamOutputNames(spec: EventSpec, o: SpanetUpstreamOnnxOptions = {}): string[] {
  const kind = o.outputLogTransform ? 'log_probability' : 'probability';
  return [
    ...spec.particles.map((p) => `${p.name}_assignment_${kind}`),
    ...spec.particles.map((p) => `${p.name}_detection_${kind}`),
    ...spec.regressions,
    ...spec.classifications,
    ...(o.outputEmbeddings
      ? [
          'EVENT/embedding_vector',
          ...spec.particles.flatMap((p) =>
            [`${p.name}/PARTICLE`, ...p.products.map((q) => `${p.name}/${q}`)].map((n) => `${n}/embedding_vector`),
          ),
        ]
      : []),
  ];
}

export const spanetUpstreamInputNames = (spec: EventSpec): string[] => spec.inputs.flatMap((i) => [`${i.name}_data`, `${i.name}_mask`]);

/** Σ_d y₁[b,i,d]·y₂[b,j,d]·… over [B, N, D] factors → [B, N, …, N], in the port's order of products. */
function contract(c: BlockContext, ys: string[], fullShape: string, D: number): string {
  const { E } = c;
  if (ys.length === 1) return E.sumAxis(ys[0], 2, false);
  let acc = ys[0]; // [B, M, D], M = N^(factors so far)
  for (const y of ys.slice(1, -1)) acc = E.reshape(E.mul(E.unsqueeze(acc, [2]), E.unsqueeze(y, [1])), [0, -1, D]);
  const out = E.node('MatMul', [acc, E.transpose(ys[ys.length - 1], [0, 2, 1])]);
  return E.reshape(out, fullShape);
}

/** [B, N, …] bool: every vector in the sequence mask (when there is one) and no vector twice. */
function validTuples(c: BlockContext, degree: number, seqReal: string | null, N: string): string | null {
  const { E } = c;
  const others = (a: number, first: number) => Array.from({ length: degree }, (_, i) => i + first).filter((i) => i !== a + first);
  let valid: string | null = null;
  const and = (m: string) => (valid = valid ? E.node('And', [valid, m]) : m);
  if (seqReal) for (let a = 0; a < degree; a++) and(degree === 1 ? seqReal : E.unsqueeze(seqReal, others(a, 1)));
  if (degree > 1) {
    const range = E.node('Range', [E.intScalar(0), E.node('Squeeze', [N, E.ints([0])]), E.intScalar(1)]);
    for (let a = 0; a < degree; a++)
      for (let b = a + 1; b < degree; b++)
        and(E.node('Not', [E.node('Equal', [E.unsqueeze(range, others(a, 0)), E.unsqueeze(range, others(b, 0))])]));
  }
  return valid;
}

interface EventMasks {
  /** [T, B, 1] float, null when mask_sequence_vectors is false (all ones). */
  seq: string | null;
  /** [B, T] bool, true = padding. */
  padding: string;
  /** [B, T] bool, the input masks side by side. */
  real: string;
  /** [T] bool, true for sequential vectors (upstream's global_mask); null when every input is sequential. */
  sequential: string | null;
}

function branchDecoder(c: BlockContext, d: BranchDecoder, hidden: string, m: EventMasks, D: number) {
  const { E } = c;
  const enc = stackedEncoder(c, hidden, d.encoder, m.padding, m.seq);
  const detection = E.reshape(branchLinear(c, enc.particle, d.detectionClassifier), [-1]);
  // upstream's encoded_vectors[global_mask]: the sequential vectors only
  const pick = (x: string | null, axis: number) =>
    x && m.sequential ? E.node('Compress', [x, m.sequential], { axis: attr.int(axis) }) : x;
  const vectors = pick(enc.vectors, 0)!;
  const padding = pick(m.padding, 1)!;
  const seq = pick(m.seq, 0);
  const ys: string[] = [];
  const daughters: string[] = [];
  d.attention.encoders.forEach((encoder, i) => {
    const out = stackedEncoder(c, vectors, encoder, padding, seq);
    let y = E.linear(out.vectors, d.attention.linears[i]);
    if (c.masking !== 'none' && seq) y = E.mul(y, seq);
    ys.push(E.transpose(y, [1, 0, 2]));
    daughters.push(out.particle);
  });
  const N = E.dims(ys[0], 1, 2);
  const fullShape = E.concat([E.dims(ys[0], 0, 1), ...ys.map(() => N)], 0);
  let logits = E.div(contract(c, ys, fullShape, D), E.scalar(Math.sqrt(D) ** d.degree));
  const perms = d.attention.batchPermutations;
  if (perms.length) {
    logits = E.div(
      perms.reduce((s, p) => E.add(s, E.transpose(logits, p)), logits),
      E.scalar(perms.length + 1),
    );
  }
  const valid = validTuples(c, d.degree, m.seq ? pick(m.real, 1) : null, N);
  const filled = valid ? E.node('Where', [valid, logits, E.scalar(-Infinity)]) : logits;
  const assignment = E.reshape(E.node('LogSoftmax', [E.reshape(filled, [0, -1])], { axis: attr.int(-1) }), fullShape);
  return { assignment, detection, particle: enc.particle, daughters };
}

/** The network as ONNX bytes with upstream's export interface (see the file comment). */
export async function spanetUpstreamToOnnx(
  network: UpstreamJetReconstructionNetwork,
  spec: EventSpec,
  options: SpanetOptions,
  o: SpanetUpstreamOnnxOptions = {},
): Promise<Uint8Array> {
  const opset = o.opset ?? SPANET_ONNX_DEFAULT_OPSET;
  const E = new SpanetOnnxEmitter(
    opset,
    network.stateLayout(),
    await network.stateDict(),
    'spanet',
    'SPANet v2 JetReconstructionNetwork (upstream 46c6805) exported by physml-workbench',
  );
  const { b } = E;
  const inputs = network.embedding.inputs;
  if (inputs.length !== spec.inputs.length) throw new Error('SPANet ONNX: the network and the event description have different inputs');
  const maskSequence = optionBool(options, 'mask_sequence_vectors');
  const BATCH = 'batch_size';

  const feeds = spec.inputs.map((input) => {
    const F = input.features.length;
    const num = `num_${input.name}`;
    const data = b.input(`${input.name}_data`, 'float', [BATCH, num, F], input.features.map((f) => f.name).join(', '));
    const mask = b.input(`${input.name}_mask`, 'bool', [BATCH, num]);
    return { input, data, mask };
  });
  const c = blockContext(E, options, E.dims(feeds[0].mask, 0, 1));

  // ---- embedding (MultiInputVectorEmbedding) ----------------------------------------------
  const parts: string[] = [];
  const seqs: string[] = [];
  feeds.forEach(({ input, data, mask }, i) => {
    const emb = inputs[i];
    const maskF = E.castFloat(mask);
    const maskLast = E.unsqueeze(maskF, [2]); // [B, T, 1]
    let x = data;
    const logSelect = input.features.map((f) => isLog(f.transform));
    if (o.inputLogTransform && logSelect.some(Boolean)) {
      // WrappedModel.apply_input_log_transform: mask · log(x + 1) on log features, x elsewhere
      const logged = E.mul(E.node('Log', [E.add(x, E.scalar(1))]), maskLast);
      const sel = b.initializer(`${input.name}_log_features`, { dtype: 'bool', dims: [logSelect.length], data: logSelect.map(Number) });
      x = E.node('Where', [sel, logged, x]);
    }
    if (emb.normalizer) x = E.mul(E.div(E.sub(x, E.weight(emb.normalizer.mean)), E.weight(emb.normalizer.std)), maskLast);
    const seq = maskSequence ? E.unsqueeze(E.transpose(maskF, [1, 0]), [2]) : null; // [T, B, 1]
    if (seq) seqs.push(seq);
    // GlobalVectorEmbedding wraps a SequentialVectorEmbedding
    const ve = emb.vectorEmbeddings;
    const sequential = 'inner' in ve ? ve.inner : ve;
    let y = E.transpose(x, [1, 0, 2]);
    for (const block of sequential.stack.blocks) y = linearBlock(c, y, block, seq);
    const P = emb.position.value.shape[2];
    const position = E.node('Expand', [E.weight(emb.position.value), E.concat([E.dims(y, 0, 2), E.ints([P])], 0)]);
    parts.push(E.concat([y, position], 2));
  });
  const anyGlobal = spec.inputs.some((i) => i.kind !== 'sequential');
  const masks: EventMasks = {
    seq: maskSequence ? E.concat(seqs, 0) : null,
    padding: E.concat(
      feeds.map((f) => E.node('Not', [f.mask])),
      1,
    ),
    real: E.concat(
      feeds.map((f) => f.mask),
      1,
    ),
    sequential: anyGlobal
      ? E.concat(
          feeds.map((f) => E.filled(E.dims(f.mask, 1, 2), f.input.kind === 'sequential')),
          0,
        )
      : null,
  };
  const embeddings = linearBlock(c, E.concat(parts, 0), network.embedding.finalLayer, masks.seq);

  // ---- central encoder, branches, heads ----------------------------------------------------
  const central = stackedEncoder(c, embeddings, network.encoder, masks.padding, masks.seq);
  const encoded = new Map<string, string>([['EVENT', central.particle]]);
  const hiddenDim = network.encoder.hiddenDim;
  const branches = network.branchDecoders.map((d) => {
    const out = branchDecoder(c, d, central.vectors, masks, hiddenDim);
    encoded.set(`${d.particle.name}/PARTICLE`, out.particle);
    d.particle.products.forEach((q, i) => encoded.set(`${d.particle.name}/${q}`, out.daughters[i]));
    return out;
  });
  const source = (path: string) => {
    const v = encoded.get(path.split('/').slice(0, -1).join('/'));
    if (!v) throw new Error(`SPANet ONNX: no encoded vector for ${path}`);
    return v;
  };

  const log = !!o.outputLogTransform;
  const kind = log ? 'log_probability' : 'probability';
  const names = spanetUpstreamOutputNames(spec, o);
  const D = hiddenDim;
  const seqNames = spec.inputs.filter((i) => i.kind === 'sequential').map((i) => `num_${i.name}`);
  const N = seqNames.length === 1 ? seqNames[0] : 'num_sequential_vectors';
  branches.forEach((br, p) => {
    const part = spec.particles[p];
    b.alias(log ? br.assignment : E.node('Exp', [br.assignment]), names[p]);
    b.output(names[p], 'float', [BATCH, ...part.products.map(() => N)]);
  });
  branches.forEach((br, p) => {
    const name = `${spec.particles[p].name}_detection_${kind}`;
    // logsigmoid(x) = −softplus(−x)
    const out = log ? E.node('Neg', [E.node('Softplus', [E.node('Neg', [br.detection])])]) : E.sigmoid(br.detection);
    b.alias(out, name);
    b.output(name, 'float', [BATCH]);
  });
  const heads = (entries: [string, unknown][], want: string[], what: string) => {
    if (entries.map(([p]) => p).join('\n') !== want.join('\n'))
      throw new Error(`SPANet ONNX: the network's ${what} are not the event file's`);
  };
  heads(network.regressionDecoder.networks.entries, spec.regressions, 'regressions');
  heads(network.classificationDecoder.networks.entries, spec.classifications, 'classifications');
  for (const [path, net] of network.regressionDecoder.networks.entries) {
    let y = E.add(E.mul(E.reshape(branchLinear(c, source(path), net.linear), [-1]), E.weight(net.std)), E.weight(net.mean));
    if (net.kind === 'log_gaussian') y = E.sub(E.node('Exp', [y]), E.node('Exp', [E.node('Neg', [y])]));
    b.alias(y, path);
    b.output(path, 'float', [BATCH]);
  }
  for (const [path, net] of network.classificationDecoder.networks.entries) {
    const logits = branchLinear(c, source(path), net);
    b.alias(E.node(log ? 'LogSoftmax' : 'Softmax', [logits], { axis: attr.int(-1) }), path);
    b.output(path, 'float', [BATCH, net.outputLayer.outFeatures]);
  }
  if (o.outputEmbeddings) {
    for (const [path, v] of encoded) {
      b.alias(v, `${path}/embedding_vector`);
      b.output(`${path}/embedding_vector`, 'float', [BATCH, D]);
    }
  }
  return b.encode({
    opset,
    metadata: {
      event_file: JSON.stringify(spec),
      export_options: JSON.stringify({ opset, ...o }),
      upstream: 'Alexanders101/SPANet 46c68051fbc6178b932b8eec562c792886769511 spanet/export.py',
    },
  });
}
