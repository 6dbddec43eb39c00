import { addActivation, addDense, attr, OnnxGraphBuilder as Builder } from '../../export/onnx';
import { transpose2d } from '../../nn/linear';
import { symmetrizeRef } from '../../tensor/reference/symmetric';
import { LOG_ZERO } from '../../tensor/reference/softmax';
import type { EventSpec } from './eventSpec';
import type { PreparedData } from './prepare';

export interface Weight {
  shape: number[];
  data: Float32Array;
}

export interface SpanetExportModel {
  spec: EventSpec;
  data: Pick<PreparedData, 'D' | 'G' | 'globalSlices' | 'jetNorm' | 'globalNorm' | 'regNorm'>;
  width: number;
  layers: number;
  heads: number;
  assignDim: number;
  classCounts: number[];
  /** The float entries of SpanetModel's state dict (Linear weights [out, in]), read back */
  weights: Record<string, Weight>;
}

export interface SpanetExportOptions {
  /** log-probability outputs (SPANet's --output-log-transform) */
  logOutputs?: boolean;
  /** inputs raw: the graph applies log(x + 1) to log / log_normalize features of real objects (upstream's --input-log-transform) */
  inputLogTransform?: boolean;
}

/** Output names of SPANet's ONNX interface for a spec. */
export function spanetOutputNames(spec: EventSpec, logOutputs = false): string[] {
  const kind = logOutputs ? 'log_probability' : 'probability';
  return [
    ...spec.particles.map((p) => `${p.name}_assignment_${kind}`),
    ...spec.particles.map((p) => `${p.name}_detection_${kind}`),
    ...spec.regressions,
    ...spec.classifications,
  ];
}

/**
 * The trained network as ONNX with SPANet's interface: inputs `{input}_data` (B, N, D)
 * float and `{input}_mask` (B, N) bool per event-file input (global inputs with a dummy
 * axis of 1); features marked log / log_normalize must already be log(x + 1), as SPANet
 * expects; normalisation happens inside the graph. Outputs per particle
 * `{particle}_assignment_probability` (B, N, ..., N) and `{particle}_detection_probability`
 * (B), one (B) output per regression and one (B, C) per classification, or the log versions.
 */
export function buildSpanetOnnx(m: SpanetExportModel, opts: SpanetExportOptions = {}): Uint8Array {
  const { spec, data, width: W, heads: H } = m;
  const { D, G } = data;
  const b = new Builder('spanet', 'SPANet-style jet-parton assignment network exported by physml-workbench');
  const w = (name: string) => {
    const t = m.weights[name];
    if (!t) throw new Error(`ONNX export: no weight "${name}"`);
    return t;
  };
  const f = (name: string, x: Weight) => b.floats(name, x.data, x.shape);
  const i64 = (name: string, v: number[]) => b.int64s(name, v);
  const scalarI64 = (name: string, v: number) => b.initializer(name, { dtype: 'int64', dims: [], data: [v] });
  const unsq = (x: string, axes: number[]) => b.node('Unsqueeze', [x, i64('axes', axes)]);
  /** A Linear's weight as MatMul takes it on [.., in] inputs: [in, out], the state dict's transpose. */
  const inOut = (name: string): Weight => {
    const t = w(`${name}.weight`);
    const [out, inp] = t.shape;
    return { shape: [inp, out], data: transpose2d(t.data, out, inp) };
  };
  const linear = (x: string, name: string, act: 'none' | 'gelu' = 'none') =>
    addActivation(b, b.node('Add', [b.node('MatMul', [x, f(`${name}.weight_t`, inOut(name))]), f(`${name}.bias`, w(`${name}.bias`))]), act);
  const layerNorm = (x: string, name: string) =>
    b.node('LayerNormalization', [x, f(`${name}.weight`, w(`${name}.weight`)), f(`${name}.bias`, w(`${name}.bias`))], {
      axis: attr.int(-1),
      epsilon: attr.float(1e-5),
    });
  const logZero = b.floats('log_zero', [LOG_ZERO], []);
  const negInf = b.floats('neg_inf', [-Infinity], []);

  // ---- inputs -------------------------------------------------------------------------
  const seq = spec.inputs.find((i) => i.kind === 'sequential')!;
  // upstream's dynamic axes: batch_size and num_{input} (spanet/export.py onnx_specification)
  const BATCH = 'batch_size',
    NUM = `num_${seq.name}`;
  const seqRaw = b.input(`${seq.name}_data`, 'float', [BATCH, NUM, D], `features of ${seq.features.map((x) => x.name).join(', ')}`);
  const seqMask = b.input(`${seq.name}_mask`, 'bool', [BATCH, NUM]);
  // upstream's apply_input_log_transform: mask · log(x + 1) on the log features
  const logTransform = (x: string, mask: string, features: { transform: string }[], name: string) => {
    const sel = features.map((f) => (f.transform === 'log' || f.transform === 'log_normalize' ? 1 : 0));
    if (!opts.inputLogTransform || !sel.some(Boolean)) return x;
    const m = unsq(b.node('Cast', [mask], { to: attr.int(1) }), [-1]);
    const xl = b.node('Mul', [b.node('Log', [b.node('Add', [x, b.floats(`${name}_one`, [1], [])])]), m]);
    const s = b.floats(`${name}_log_select`, sel);
    return b.node('Add', [x, b.node('Mul', [s, b.node('Sub', [xl, x])])]);
  };
  const seqData = logTransform(seqRaw, seqMask, seq.features, seq.name);
  const globals = spec.inputs
    .filter((i) => i.kind === 'global')
    .map((g) => {
      // one vector per event, as upstream's global inputs; the axis is named as upstream's
      const gd = b.input(`${g.name}_data`, 'float', [BATCH, `num_${g.name}`, g.features.length], 'one vector per event');
      const gm = b.input(
        `${g.name}_mask`,
        'bool',
        [BATCH, `num_${g.name}`],
        'used by the input log transform only: the event token is always present',
      );
      return logTransform(gd, gm, g.features, g.name);
    });

  // ---- embedding: jets and the event token take separate slices of one weight ---------
  const win = inOut('embed.0');
  const bin = w('embed.0.bias');
  const rows = (start: number, count: number) => ({ shape: [count, W], data: win.data.slice(start * W, (start + count) * W) });
  const biasPlusRow = (row: number) => ({ shape: [W], data: bin.data.map((v, c) => v + win.data[row * W + c]) });
  const maskF = unsq(b.node('Cast', [seqMask], { to: attr.int(1) }), [-1]);
  const xn = b.node('Mul', [
    b.node('Div', [b.node('Sub', [seqData, b.floats('jet_mean', data.jetNorm.mean)]), b.floats('jet_std', data.jetNorm.std)]),
    maskF,
  ]);
  const jetTok = addActivation(
    b,
    b.node('Add', [b.node('MatMul', [xn, f('embed_jet.weight_t', rows(0, D))]), f('embed_jet.bias', biasPlusRow(D + G))]),
    'gelu',
  );
  const evBias = f('embed_event.bias', biasPlusRow(D + G + 1));
  let evPre: string;
  if (G > 0) {
    const g = globals.length === 1 ? globals[0] : b.node('Concat', globals, { axis: attr.int(-1) });
    const gn = b.node('Div', [
      b.node('Sub', [g, b.floats('global_mean', data.globalNorm.mean)]),
      b.floats('global_std', data.globalNorm.std),
    ]);
    evPre = b.node('Add', [b.node('MatMul', [gn, f('embed_event.weight_t', rows(D, G))]), evBias]);
  } else {
    // No global inputs: the event token is a learned constant, broadcast to the batch.
    const batch = b.node('Slice', [b.node('Shape', [seqData]), i64('zero', [0]), i64('one', [1])]);
    const shape = b.node('Concat', [batch, i64('one_w', [1, W])], { axis: attr.int(0) });
    evPre = b.node('Expand', [b.node('Reshape', [evBias, i64('shape_11w', [1, 1, W])]), shape]);
  }
  const evTok = addActivation(b, evPre, 'gelu');
  let h = linear(b.node('Concat', [jetTok, evTok], { axis: attr.int(1) }), 'embed.1', 'gelu');

  // ---- encoder --------------------------------------------------------------------------
  const first = b.node('Slice', [seqMask, i64('zero', [0]), i64('one', [1]), i64('axis1', [1])]);
  const always = b.node('Or', [first, b.node('Not', [first])]);
  const keyMask = unsq(b.node('Concat', [seqMask, always], { axis: attr.int(1) }), [1, 2]); // [B,1,1,T]
  const dh = W / H;
  const splitSizes = i64('qkv_split', [W, W, W]);
  const headShape = i64('head_shape', [0, 0, H, dh]);
  for (let l = 0; l < m.layers; l++) {
    const p = `encoder.${l}`;
    const [q, k, v] = b.nodeN('Split', [linear(layerNorm(h, `${p}.ln1`), `${p}.qkv`), splitSizes], 3, { axis: attr.int(-1) });
    const heads = (x: string, perm: number[]) => b.node('Transpose', [b.node('Reshape', [x, headShape])], { perm: attr.ints(perm) });
    const scores = b.node('Mul', [
      b.node('MatMul', [heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])]),
      b.floats('attn_scale', [1 / Math.sqrt(dh)], []),
    ]);
    const probs = b.node('Softmax', [b.node('Where', [keyMask, scores, logZero])], { axis: attr.int(-1) });
    const merged = b.node('Reshape', [
      b.node('Transpose', [b.node('MatMul', [probs, heads(v, [0, 2, 1, 3])])], { perm: attr.ints([0, 2, 1, 3]) }),
      i64('merge_shape', [0, 0, W]),
    ]);
    h = b.node('Add', [h, linear(merged, `${p}.proj`)]);
    h = b.node('Add', [h, linear(linear(layerNorm(h, `${p}.ln2`), `${p}.ff1`, 'gelu'), `${p}.ff2`)]);
  }
  h = layerNorm(h, 'final_norm');
  const jets = b.node('Slice', [h, i64('zero', [0]), i64('minus1', [-1]), i64('axis1', [1])]);
  const event = b.node('Reshape', [
    b.node('Slice', [h, i64('minus1', [-1]), i64('big', [2 ** 62]), i64('axis1', [1])]),
    i64('event_shape', [0, W]),
  ]);

  // ---- assignment distributions ---------------------------------------------------------
  const logOut = !!opts.logOutputs;
  const kind = logOut ? 'log_probability' : 'probability';
  const n = b.node('Gather', [b.node('Shape', [seqMask]), scalarI64('idx1', 1)], { axis: attr.int(0) });
  const range = b.node('Range', [scalarI64('r0', 0), n, scalarI64('r1', 1)]);
  const Dc = m.assignDim;
  const flat = i64('flat_shape', [0, -1]);
  spec.particles.forEach((part) => {
    const k = part.products.length;
    const pre = `assignment.${part.name}`;
    const x = linear(jets, `${pre}.proj`);
    const raw = w(`${pre}.weight`);
    const wsym = symmetrizeRef({ data: Float64Array.from(raw.data), shape: raw.shape }, { k, perms: part.productPerms });
    const wk = Float32Array.from(wsym.data);
    let scores: string;
    if (k === 1) scores = b.node('MatMul', [x, b.floats(`${pre}.w`, wk, [Dc, 1])]);
    else if (k === 2) {
      scores = b.node('MatMul', [
        b.node('MatMul', [x, b.floats(`${pre}.w`, wk, [Dc, Dc])]),
        b.node('Transpose', [x], { perm: attr.ints([0, 2, 1]) }),
      ]);
    } else {
      const u = b.node('Reshape', [b.node('MatMul', [x, b.floats(`${pre}.w`, wk, [Dc, Dc * Dc])]), i64('u_shape', [0, 0, Dc, Dc])]);
      scores = b.node('Einsum', [u, x, x], { equation: attr.string('bief,bje,bkf->bijk') });
    }
    // valid tuples: every jet real, no jet twice
    const axesExcept = (a: number, first: number) => Array.from({ length: k }, (_, i) => i + first).filter((i) => i !== a + first);
    let valid = '';
    for (let a = 0; a < k; a++) {
      const ma = k === 1 ? seqMask : unsq(seqMask, axesExcept(a, 1));
      valid = valid ? b.node('And', [valid, ma]) : ma;
    }
    for (let a = 0; a < k; a++) {
      for (let c = a + 1; c < k; c++) {
        const ra = unsq(range, axesExcept(a, 0));
        const rc = unsq(range, axesExcept(c, 0));
        valid = b.node('And', [valid, b.node('Not', [b.node('Equal', [ra, rc])])]);
      }
    }
    const shape = k === 1 ? b.node('Shape', [seqMask]) : b.node('Shape', [scores]);
    const vf = b.node('Reshape', [valid, flat]);
    const sf = b.node('Reshape', [scores, flat]);
    // invalid tuples: −inf log-probability (probability 0), as upstream's masked log-softmax
    const lp = b.node('Where', [vf, b.node('LogSoftmax', [b.node('Where', [vf, sf, logZero])], { axis: attr.int(-1) }), negInf]);
    const full = b.node('Reshape', [lp, shape]);
    b.alias(logOut ? full : b.node('Exp', [full]), `${part.name}_assignment_${kind}`);
  });

  // ---- detection, regression, classification ---------------------------------------------
  const P = spec.particles.length;
  const det = b.node(logOut ? 'LogSoftmax' : 'Softmax', [b.node('Reshape', [linear(event, 'detection'), i64('det_shape', [0, P, 2])])], {
    axis: attr.int(-1),
  });
  const detected = b.node('Gather', [det, scalarI64('idx1', 1)], { axis: attr.int(2) });
  spec.particles.forEach((part, p) => {
    b.alias(b.node('Gather', [detected, scalarI64('p', p)], { axis: attr.int(1) }), `${part.name}_detection_${kind}`);
  });
  if (spec.regressions.length) {
    let r = event;
    const nl = Object.keys(m.weights).filter((k) => /^regression\.layers\.\d+\.weight$/.test(k)).length;
    for (let i = 0; i < nl; i++) {
      const name = `regression.layers.${i}`;
      r = addDense(b, r, name, w(`${name}.weight`), w(`${name}.bias`), i < nl - 1 ? 'gelu' : 'none');
    }
    r = b.node('Add', [b.node('Mul', [r, b.floats('reg_std', data.regNorm.std)]), b.floats('reg_mean', data.regNorm.mean)]);
    spec.regressions.forEach((name, i) => b.alias(b.node('Gather', [r, scalarI64('r', i)], { axis: attr.int(1) }), name));
  }
  spec.classifications.forEach((name, i) => {
    const z = addDense(b, event, `classification.${i}`, w(`classification.${i}.weight`), w(`classification.${i}.bias`), 'none');
    b.alias(b.node(logOut ? 'LogSoftmax' : 'Softmax', [z], { axis: attr.int(-1) }), name);
  });

  // ---- outputs --------------------------------------------------------------------------
  spec.particles.forEach((p) => b.output(`${p.name}_assignment_${kind}`, 'float', [BATCH, ...p.products.map(() => NUM)]));
  spec.particles.forEach((p) => b.output(`${p.name}_detection_${kind}`, 'float', [BATCH]));
  spec.regressions.forEach((r) => b.output(r, 'float', [BATCH]));
  spec.classifications.forEach((c, i) => b.output(c, 'float', [BATCH, m.classCounts[i]]));
  return b.encode({ opset: 17, metadata: { event_file: JSON.stringify(spec) } });
}
