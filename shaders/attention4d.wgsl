// Softmax stage of scaled dot-product attention over general tensors. The products
// Q·Kᵀ, P·V and those of the backward pass run on the tiled matmul kernel; this file
// holds what lies between them, for scores [R = B·H·T, S] (row r = ((b·H + h)·T + t)):
//   z[r, s] = scale · scores[r, s] + addMask[b, h, t, s]      (additive mask optional)
//   P[r, s] = softmax over the valid s of z[r, ·]
// A key s is valid when keyMask[b, s] says attend (u32/i32 bits non-zero, or f32 non-zero;
// `keyMaskPads` inverts the meaning for torch's key_padding_mask convention) and the
// additive mask is above NEG_LIMIT (an -inf entry masks the key). A row with no valid key
// gets P = 0 (so the attention output is 0 and no NaN appears; torch gives NaN there).
// The additive mask is indexed with strides (0 broadcasts over batch or heads).
// One workgroup of 64 threads per row; rows beyond 65535 fold into y.

struct Params {
  R: u32, T: u32, S: u32, H: u32,
  scale: f32, hasKeyMask: u32, keyMaskFloat: u32, keyMaskPads: u32,
  hasAddMask: u32, amStrideB: u32, amStrideH: u32, _p0: u32,
}

const WG: u32 = 64u;
// Additive-mask entries at or below this are "masked" (torch writes -inf there).
const NEG_LIMIT: f32 = -1e30;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> keyMask: array<u32>;
@group(0) @binding(3) var<storage, read> addMask: array<f32>;
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;

var<workgroup> red: array<f32, 64>;

// Tree reduction of one value per thread (max when takeMax, else sum); all threads get it.
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

fn key_ok(b: u32, s: u32) -> bool {
  if (p.hasKeyMask == 0u) { return true; }
  let bits = keyMask[b * p.S + s];
  let marked = select(bits != 0u, bitcast<f32>(bits) != 0.0, p.keyMaskFloat == 1u);
  return marked != (p.keyMaskPads == 1u);
}

fn add_term(b: u32, h: u32, t: u32, s: u32) -> f32 {
  if (p.hasAddMask == 0u) { return 0.0; }
  return addMask[b * p.amStrideB + h * p.amStrideH + t * p.S + s];
}

@compute @workgroup_size(64)
fn attn4d_softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_id) l: vec3<u32>) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.R) { return; }
  let lid = l.x;
  let t = r % p.T;
  let h = (r / p.T) % p.H;
  let b = r / (p.T * p.H);
  let base = r * p.S;
  var m = NEG_LIMIT;
  var found = 0.0;
  for (var s = lid; s < p.S; s += WG) {
    let a = add_term(b, h, t, s);
    if (key_ok(b, s) && a > NEG_LIMIT) {
      m = max(m, p.scale * scores[base + s] + a);
      found = 1.0;
    }
  }
  m = reduce_wg(lid, m, true);
  found = reduce_wg(lid, found, true);
  var sum = 0.0;
  for (var s = lid; s < p.S; s += WG) {
    let a = add_term(b, h, t, s);
    if (key_ok(b, s) && a > NEG_LIMIT) { sum += exp(p.scale * scores[base + s] + a - m); }
  }
  sum = reduce_wg(lid, sum, false);
  for (var s = lid; s < p.S; s += WG) {
    let a = add_term(b, h, t, s);
    let ok = found > 0.0 && key_ok(b, s) && a > NEG_LIMIT;
    probs[base + s] = select(0.0, exp(p.scale * scores[base + s] + a - m) / sum, ok);
  }
}

@group(0) @binding(1) var<storage, read> bProbs: array<f32>;
@group(0) @binding(2) var<storage, read> bDProbs: array<f32>;
@group(0) @binding(3) var<storage, read_write> bDScores: array<f32>;

// dScores = scale · P ⊙ (dP − Σ_s P dP): masked entries have P = 0, so they get 0 too.
@compute @workgroup_size(64)
fn attn4d_softmax_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                           @builtin(local_invocation_id) l: vec3<u32>) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.R) { return; }
  let lid = l.x;
  let base = r * p.S;
  var dot = 0.0;
  for (var s = lid; s < p.S; s += WG) { dot += bProbs[base + s] * bDProbs[base + s]; }
  dot = reduce_wg(lid, dot, false);
  for (var s = lid; s < p.S; s += WG) {
    bDScores[base + s] = p.scale * bProbs[base + s] * (bDProbs[base + s] - dot);
  }
}
