// Softmax (or log-softmax) over the last axis of x [R, C], restricted to the valid entries
// of each row. Two ways to say which entries are valid:
//   mode 0: an explicit mask [R / rowsPerMask, C] (u32, non-zero = valid), shared by
//           `rowsPerMask` consecutive rows;
//   mode 1: a jet-parton assignment space: row r is an event, C = N^k, and entry
//           (i1, ..., ik) is valid when every i is a real jet (jetMask [R, N]) and the
//           i's are distinct, so no jet is used twice by one particle.
// Invalid entries give probability 0 and log-probability LOG_ZERO; a row with no valid
// entry is all 0 / LOG_ZERO. One workgroup of 64 threads per row: assignment rows are
// long (N^3 = 6859 for 19 jets), so a row is split across threads and tree-reduced.

struct Params {
  R: u32, C: u32, rowsPerMask: u32, logOut: u32,
  mode: u32, N: u32, k: u32, _p0: u32,
}

// A finite stand-in for log(0): exp() of it is exactly 0 in f32 and it survives
// arithmetic (no inf - inf = NaN) in later sums.
const LOG_ZERO: f32 = -1e30;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, 64>;

fn is_valid(r: u32, c: u32) -> bool {
  if (p.mode == 0u) { return mask[(r / p.rowsPerMask) * p.C + c] != 0u; }
  var rest = c;
  var used: array<u32, 4>;
  for (var a = 0u; a < p.k; a++) {
    let j = rest % p.N;
    rest = rest / p.N;
    if (mask[r * p.N + j] == 0u) { return false; }
    for (var b = 0u; b < a; b++) { if (used[b] == j) { return false; } }
    used[a] = j;
  }
  return true;
}

// Tree reduction of red[0..64) (max when takeMax, else sum); every thread gets the result.
fn reduce_wg(lid: u32, v: f32, takeMax: bool) -> f32 {
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

fn row_stats(r: u32, lid: u32) -> vec2<f32> {
  let base = r * p.C;
  var m = LOG_ZERO;
  for (var c = lid; c < p.C; c += WG) {
    if (is_valid(r, c)) { m = max(m, x[base + c]); }
  }
  m = reduce_wg(lid, m, true);
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) {
    if (is_valid(r, c)) { s += exp(x[base + c] - m); }
  }
  s = reduce_wg(lid, s, false);
  return vec2<f32>(m, s);
}

@compute @workgroup_size(64)
fn softmax_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_id) l: vec3<u32>) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.R) { return; }
  let lid = l.x;
  let st = row_stats(r, lid);
  let lse = st.x + log(st.y);
  let base = r * p.C;
  for (var c = lid; c < p.C; c += WG) {
    let ok = st.y > 0.0 && is_valid(r, c);
    if (p.logOut == 1u) {
      y[base + c] = select(LOG_ZERO, x[base + c] - lse, ok);
    } else {
      y[base + c] = select(0.0, exp(x[base + c] - st.x) / st.y, ok);
    }
  }
}

@group(0) @binding(1) var<storage, read> bY: array<f32>;
@group(0) @binding(2) var<storage, read> bMask: array<u32>;
@group(0) @binding(3) var<storage, read> bDy: array<f32>;
@group(0) @binding(4) var<storage, read_write> bDx: array<f32>;

fn b_valid(r: u32, c: u32) -> bool {
  if (p.mode == 0u) { return bMask[(r / p.rowsPerMask) * p.C + c] != 0u; }
  var rest = c;
  var used: array<u32, 4>;
  for (var a = 0u; a < p.k; a++) {
    let j = rest % p.N;
    rest = rest / p.N;
    if (bMask[r * p.N + j] == 0u) { return false; }
    for (var b = 0u; b < a; b++) { if (used[b] == j) { return false; } }
    used[a] = j;
  }
  return true;
}

// softmax:      dx_i = y_i (dy_i - Σ_j y_j dy_j)
// log-softmax:  dx_i = dy_i - p_i Σ_j dy_j    (valid i, j only; p = exp(y))
@compute @workgroup_size(64)
fn softmax_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_id) l: vec3<u32>) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.R) { return; }
  let lid = l.x;
  let base = r * p.C;
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) {
    if (b_valid(r, c)) {
      s += select(bY[base + c] * bDy[base + c], bDy[base + c], p.logOut == 1u);
    }
  }
  s = reduce_wg(lid, s, false);
  for (var c = lid; c < p.C; c += WG) {
    var d = 0.0;
    if (b_valid(r, c)) {
      let yc = bY[base + c];
      if (p.logOut == 1u) {
        d = bDy[base + c] - exp(yc) * s;
      } else {
        d = yc * (bDy[base + c] - s);
      }
    }
    bDx[base + c] = d;
  }
}
