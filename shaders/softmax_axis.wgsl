// Softmax and log-softmax along any axis: x seen as [outer, n, inner], a column (o, i) is
// the n elements o * n * inner + j * inner + i. Stable: the column max is subtracted first.
// softmax_thread: one thread per column (many columns, or short ones);
// softmax_group:  one workgroup of 256 per column, tree-reduced (few long columns).
// Backward from the saved output y: softmax dx = y (dy - sum dy y); log dx = dy - exp(y) sum dy.

struct Params {
  outer: u32, n: u32, inner: u32, logOut: u32,
  cols: u32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;      // forward: x; backward: y
@group(0) @binding(2) var<storage, read_write> dst: array<f32>; // forward: y; backward: dx
// backward only
@group(0) @binding(3) var<storage, read> dy: array<f32>;

const WG: u32 = 256u;
var<workgroup> red: array<f32, 256>;

fn base_of(col: u32) -> u32 {
  return (col / p.inner) * p.n * p.inner + col % p.inner;
}

fn tree(lid: u32, v: f32, takeMax: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w >>= 1u) {
    if (lid < w) {
      let o = red[lid + w];
      red[lid] = select(red[lid] + o, max(red[lid], o), takeMax);
    }
    workgroupBarrier();
  }
  let out = red[0];
  workgroupBarrier();
  return out;
}

fn write_forward(b: u32, j: u32, m: f32, s: f32) {
  let v = src[b + j * p.inner] - m;
  if (p.logOut == 1u) { dst[b + j * p.inner] = v - log(s); } else { dst[b + j * p.inner] = exp(v) / s; }
}

// Per-element gradient given t = sum dy y (softmax) or sum dy (log-softmax).
fn write_backward(b: u32, j: u32, t: f32) {
  let k = b + j * p.inner;
  if (p.logOut == 1u) { dst[k] = dy[k] - exp(src[k]) * t; } else { dst[k] = src[k] * (dy[k] - t); }
}

fn back_term(k: u32) -> f32 {
  return select(dy[k] * src[k], dy[k], p.logOut == 1u);
}

@compute @workgroup_size(256)
fn softmax_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let col = gid.x + gid.y * nwg.x * WG;
  if (col >= p.cols) { return; }
  let b = base_of(col);
  var m = src[b];
  for (var j = 1u; j < p.n; j++) { m = max(m, src[b + j * p.inner]); }
  var s = 0.0;
  for (var j = 0u; j < p.n; j++) { s += exp(src[b + j * p.inner] - m); }
  for (var j = 0u; j < p.n; j++) { write_forward(b, j, m, s); }
}

@compute @workgroup_size(256)
fn softmax_group(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) l: vec3<u32>) {
  let col = wg.x + wg.y * nwg.x;
  if (col >= p.cols) { return; }
  let lid = l.x;
  let b = base_of(col);
  var m = src[b];
  for (var j = lid; j < p.n; j += WG) { m = max(m, src[b + j * p.inner]); }
  m = tree(lid, m, true);
  var s = 0.0;
  for (var j = lid; j < p.n; j += WG) { s += exp(src[b + j * p.inner] - m); }
  s = tree(lid, s, false);
  for (var j = lid; j < p.n; j += WG) { write_forward(b, j, m, s); }
}

@compute @workgroup_size(256)
fn softmax_back_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let col = gid.x + gid.y * nwg.x * WG;
  if (col >= p.cols) { return; }
  let b = base_of(col);
  var t = 0.0;
  for (var j = 0u; j < p.n; j++) { t += back_term(b + j * p.inner); }
  for (var j = 0u; j < p.n; j++) { write_backward(b, j, t); }
}

@compute @workgroup_size(256)
fn softmax_back_group(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_id) l: vec3<u32>) {
  let col = wg.x + wg.y * nwg.x;
  if (col >= p.cols) { return; }
  let lid = l.x;
  let b = base_of(col);
  var t = 0.0;
  for (var j = lid; j < p.n; j += WG) { t += back_term(b + j * p.inner); }
  t = tree(lid, t, false);
  for (var j = lid; j < p.n; j += WG) { write_backward(b, j, t); }
}
