// Row-per-thread variant of the softmax stage of attention4d.wgsl, for short rows (S ≤ 32
// keys: SPANet's jets plus its particle vector). Same inputs, outputs and semantics; each
// thread owns one row r of the scores [R = B·H·T, S], so there is no workgroup memory and no
// barrier (a barrier costs ~100× more on SwiftShader than on a GPU, and one workgroup per
// row left 64 − S threads idle). The row's logits stay in a private array between the max,
// the sum and the writes; which keys are valid is one bit each of a u32. 64 rows per
// workgroup; workgroups beyond 65535 fold into y.

struct Params {
  R: u32, T: u32, S: u32, H: u32,
  scale: f32, hasKeyMask: u32, keyMaskFloat: u32, keyMaskPads: u32,
  hasAddMask: u32, amStrideB: u32, amStrideH: u32, _p0: u32,
}

const WG: u32 = 64u;
const MAX_S: u32 = 32u;
// Additive-mask entries at or below this are "masked" (torch writes -inf there).
const NEG_LIMIT: f32 = -1e30;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> keyMask: array<u32>;
@group(0) @binding(3) var<storage, read> addMask: array<f32>;
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;

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

fn row_of(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(64)
fn attn4d_softmax_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(gid, nwg);
  if (r >= p.R || p.S > MAX_S) { return; }
  let t = r % p.T;
  let h = (r / p.T) % p.H;
  let b = r / (p.T * p.H);
  let base = r * p.S;
  var z: array<f32, 32>;
  var valid = 0u;
  var m = NEG_LIMIT;
  for (var s = 0u; s < p.S; s++) {
    let a = add_term(b, h, t, s);
    if (key_ok(b, s) && a > NEG_LIMIT) {
      z[s] = p.scale * scores[base + s] + a;
      m = max(m, z[s]);
      valid |= 1u << s;
    }
  }
  var sum = 0.0;
  for (var s = 0u; s < p.S; s++) {
    if (((valid >> s) & 1u) != 0u) {
      z[s] = exp(z[s] - m);
      sum += z[s];
    }
  }
  // A row without a valid key has valid = 0: all zeros, as the workgroup kernel.
  for (var s = 0u; s < p.S; s++) {
    probs[base + s] = select(0.0, z[s] / sum, ((valid >> s) & 1u) != 0u);
  }
}

@group(0) @binding(1) var<storage, read> bProbs: array<f32>;
@group(0) @binding(2) var<storage, read> bDProbs: array<f32>;
@group(0) @binding(3) var<storage, read_write> bDScores: array<f32>;

// dScores = scale · P ⊙ (dP − Σ_s P dP), one row per thread (masked entries have P = 0).
@compute @workgroup_size(64)
fn attn4d_softmax_backward_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(gid, nwg);
  if (r >= p.R) { return; }
  let base = r * p.S;
  var dot = 0.0;
  for (var s = 0u; s < p.S; s++) { dot += bProbs[base + s] * bDProbs[base + s]; }
  for (var s = 0u; s < p.S; s++) {
    bDScores[base + s] = p.scale * bProbs[base + s] * (bDProbs[base + s] - dot);
  }
}
