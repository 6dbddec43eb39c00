// Deterministic reductions over any set of axes (no atomics). The input is addressed as
// outputs x R: output o picks the kept coordinates, r in [0, R) the reduced ones, each
// decoded row-major and turned into an offset with the input's strides. Long reductions
// are split into `chunks` partial results per output (layout [outputs, chunks]) that a
// second launch of the same kernels combines, so the summation order is fixed.
//
// Buffers are u32 so that arg-reductions can carry exact indices next to the values:
// a buffer with indices holds [values | indices] (indices from idxOff on).
//   map (applied to each element on the first pass): 0 x, 1 (x - aux[o])^2, 2 exp(x - aux[o])
//   combine: 0 sum, 1 max, 2 min; max/min keep the smallest index among equal values
//   finalize (last pass only): 0 v * scale, 1 log(v) + aux[o], 2 v as is

struct Params {
  outputs: u32, R: u32, chunk: u32, chunks: u32,
  nKept: u32, nRed: u32, combine: u32, map: u32,
  finalize: u32, idxIn: u32, idxOut: u32, srcIdxOff: u32,
  dstIdxOff: u32, scale: f32, init: f32, rank: u32,
  total: u32, bwd: u32, _p0: u32, _p1: u32,
  keptShape: array<vec4<u32>, 2>,
  keptStride: array<vec4<u32>, 2>,
  redShape: array<vec4<u32>, 2>,
  redStride: array<vec4<u32>, 2>,
  shape: array<vec4<u32>, 2>,     // backward: input shape
  oStride: array<vec4<u32>, 2>,   // backward: weight of each input dim in o (0 if reduced)
  rStride: array<vec4<u32>, 2>,   // backward: weight of each input dim in r (0 if kept)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> aux: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;
// backward only
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> argIdx: array<u32>;

struct Acc { v: f32, i: u32 }

fn kept_offset(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  for (var d = i32(p.nKept) - 1; d >= 0; d--) {
    let s = p.keptShape[d / 4][d % 4];
    off += (rem % s) * p.keptStride[d / 4][d % 4];
    rem /= s;
  }
  return off;
}

fn red_offset(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = i32(p.nRed) - 1; d >= 0; d--) {
    let s = p.redShape[d / 4][d % 4];
    off += (rem % s) * p.redStride[d / 4][d % 4];
    rem /= s;
  }
  return off;
}

// aux[o] as a shift that never makes exp(-inf - -inf) = NaN for an all -inf output.
fn shift(o: u32) -> f32 {
  let m = aux[o];
  return select(m, 0.0, m < -3.0e38);
}

fn load(o: u32, base: u32, r: u32) -> Acc {
  let pos = base + red_offset(r);
  let x = bitcast<f32>(src[pos]);
  var v = x;
  if (p.map == 1u) { let d = x - aux[o]; v = d * d; }
  else if (p.map == 2u) { v = exp(x - shift(o)); }
  var i = r;
  if (p.idxIn == 1u) { i = src[p.srcIdxOff + pos]; }
  return Acc(v, i);
}

fn combine(a: Acc, b: Acc) -> Acc {
  if (p.combine == 0u) { return Acc(a.v + b.v, 0u); }
  let better = select((b.v < a.v), (b.v > a.v), p.combine == 1u);
  if (better || (b.v == a.v && b.i < a.i)) { return b; }
  return a;
}

fn store(o: u32, c: u32, a: Acc) {
  let q = o * p.chunks + c;
  var v = a.v;
  if (p.finalize == 0u) { v = v * p.scale; }
  else if (p.finalize == 1u) { v = log(v) + shift(o); }
  dst[q] = bitcast<u32>(v);
  if (p.idxOut == 1u) { dst[p.dstIdxOff + q] = a.i; }
}

fn reduce_range(o: u32, c: u32, first: u32, stride: u32) -> Acc {
  let base = kept_offset(o);
  let end = min((c + 1u) * p.chunk, p.R);
  var acc = Acc(p.init, 0xffffffffu);
  for (var r = c * p.chunk + first; r < end; r += stride) {
    acc = combine(acc, load(o, base, r));
  }
  return acc;
}

// One thread per (output, chunk): for many outputs or short reductions.
@compute @workgroup_size(256)
fn reduce_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.outputs * p.chunks) { return; }
  let o = t / p.chunks;
  let c = t % p.chunks;
  store(o, c, reduce_range(o, c, 0u, 1u));
}

var<workgroup> vals: array<f32, 256>;
var<workgroup> idxs: array<u32, 256>;

// One workgroup per (output, chunk), tree-combined: for few outputs with long reductions.
@compute @workgroup_size(256)
fn reduce_group(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = wg.x + wg.y * nwg.x;
  if (g >= p.outputs * p.chunks) { return; }
  let o = g / p.chunks;
  let c = g % p.chunks;
  let a = reduce_range(o, c, lid.x, 256u);
  vals[lid.x] = a.v;
  idxs[lid.x] = a.i;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid.x < w) {
      let m = combine(Acc(vals[lid.x], idxs[lid.x]), Acc(vals[lid.x + w], idxs[lid.x + w]));
      vals[lid.x] = m.v;
      idxs[lid.x] = m.i;
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) { store(o, c, Acc(vals[0], idxs[0])); }
}

// dx[i] = dy[o] * f: bwd 0 scale (sum, mean); 1 [r == argIdx[o]] (max, min);
// 2 scale * 2 (x - aux[o]) (var, aux = mean); 3 exp(x - aux[o]) (logsumexp, aux = output).
@compute @workgroup_size(256)
fn reduce_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.total) { return; }
  var rem = i;
  var o = 0u;
  var r = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let s = p.shape[d / 4][d % 4];
    let c = rem % s;
    rem /= s;
    o += c * p.oStride[d / 4][d % 4];
    r += c * p.rStride[d / 4][d % 4];
  }
  let g = dy[o];
  var v = g * p.scale;
  if (p.bwd == 1u) { v = select(0.0, g, argIdx[o] == r); }
  else if (p.bwd == 2u) { v = g * p.scale * 2.0 * (bitcast<f32>(src[i]) - aux[o]); }
  else if (p.bwd == 3u) { v = g * exp(bitcast<f32>(src[i]) - aux[o]); }
  dst[i] = bitcast<u32>(v);
}
