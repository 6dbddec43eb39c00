// Masked multi-head self-attention over the tokens of each event.
// Token layout: the N jet tokens of all B events first (row b*N + t), then one event
// token per event (row B*N + b), so the jets form a contiguous [B, N, ·] block that the
// assignment heads read without a copy. T = N + 1 tokens per event.
//   qkv [rows, 3W]: q | k | v, head h owns columns h*dh .. h*dh+dh of each part
//   mask [B, T] (u32, non-zero = real token)
//   P[b, h, i, j] = softmax_j(q_i · k_j * scale) over real keys j (0 for padded keys)
//   out[row(b,i), h*dh + d] = Σ_j P[b,h,i,j] v[row(b,j), h*dh + d]
// Padded query rows are computed too (they are ignored downstream). Sizes are small
// (T ≤ ~20), so each thread loops over the event's tokens directly.

struct Params { B: u32, N: u32, H: u32, dh: u32, W: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;

fn tokens() -> u32 { return p.N + 1u; }

fn row_of(b: u32, t: u32) -> u32 {
  return select(p.B * p.N + b, b * p.N + t, t < p.N);
}

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// ---- forward: probabilities, one thread per (b, h, i) ----------------------------------
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;

fn score(b: u32, h: u32, i: u32, j: u32) -> f32 {
  let qi = row_of(b, i) * 3u * p.W + h * p.dh;
  let kj = row_of(b, j) * 3u * p.W + p.W + h * p.dh;
  var s = 0.0;
  for (var d = 0u; d < p.dh; d++) { s += qkv[qi + d] * qkv[kj + d]; }
  return s * p.scale;
}

@compute @workgroup_size(64)
fn attn_probs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let T = tokens();
  let id = linear_id(gid, nwg);
  if (id >= p.B * p.H * T) { return; }
  let i = id % T;
  let bh = id / T;
  let h = bh % p.H;
  let b = bh / p.H;
  var m = -3.0e38;
  var found = false;
  for (var j = 0u; j < T; j++) {
    if (mask[b * T + j] != 0u) { m = max(m, score(b, h, i, j)); found = true; }
  }
  var s = 0.0;
  for (var j = 0u; j < T; j++) {
    if (mask[b * T + j] != 0u) { s += exp(score(b, h, i, j) - m); }
  }
  let base = id * T;
  for (var j = 0u; j < T; j++) {
    var pr = 0.0;
    if (found && mask[b * T + j] != 0u) { pr = exp(score(b, h, i, j) - m) / s; }
    probs[base + j] = pr;
  }
}

// ---- forward: weighted values, one thread per (row, c), c < W ----------------------------
@group(0) @binding(1) var<storage, read> oQkv: array<f32>;
@group(0) @binding(2) var<storage, read> oProbs: array<f32>;
@group(0) @binding(3) var<storage, read_write> outp: array<f32>;

fn token_of(row: u32) -> vec2<u32> {
  if (row < p.B * p.N) { return vec2<u32>(row / p.N, row % p.N); }
  return vec2<u32>(row - p.B * p.N, p.N);
}

@compute @workgroup_size(64)
fn attn_out(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let T = tokens();
  let id = linear_id(gid, nwg);
  if (id >= p.B * T * p.W) { return; }
  let c = id % p.W;
  let row = id / p.W;
  let bt = token_of(row);
  let b = bt.x;
  let i = bt.y;
  let h = c / p.dh;
  let pb = ((b * p.H + h) * T + i) * T;
  var s = 0.0;
  for (var j = 0u; j < T; j++) {
    s += oProbs[pb + j] * oQkv[row_of(b, j) * 3u * p.W + 2u * p.W + c];
  }
  outp[row * p.W + c] = s;
}

// ---- backward: dS = P ⊙ (dP - Σ_j P dP) * scale, one thread per (b, h, i) -------------
@group(0) @binding(1) var<storage, read> gQkv: array<f32>;
@group(0) @binding(2) var<storage, read> gProbs: array<f32>;
@group(0) @binding(3) var<storage, read> gOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> dScores: array<f32>;

@compute @workgroup_size(64)
fn attn_dscores(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let T = tokens();
  let id = linear_id(gid, nwg);
  if (id >= p.B * p.H * T) { return; }
  let i = id % T;
  let bh = id / T;
  let h = bh % p.H;
  let b = bh / p.H;
  let base = id * T;
  let oi = row_of(b, i) * p.W + h * p.dh;
  var rowdot = 0.0;
  for (var j = 0u; j < T; j++) {
    let vj = row_of(b, j) * 3u * p.W + 2u * p.W + h * p.dh;
    var dp = 0.0;
    for (var d = 0u; d < p.dh; d++) { dp += gOut[oi + d] * gQkv[vj + d]; }
    dScores[base + j] = dp;
    rowdot += gProbs[base + j] * dp;
  }
  for (var j = 0u; j < T; j++) {
    dScores[base + j] = gProbs[base + j] * (dScores[base + j] - rowdot) * p.scale;
  }
}

// ---- backward: dq | dk | dv, one thread per (row, c), c < 3W ----------------------------
@group(0) @binding(1) var<storage, read> hQkv: array<f32>;
@group(0) @binding(2) var<storage, read> hProbs: array<f32>;
@group(0) @binding(3) var<storage, read> hOut: array<f32>;
@group(0) @binding(4) var<storage, read> hScores: array<f32>;
@group(0) @binding(5) var<storage, read_write> dQkv: array<f32>;

@compute @workgroup_size(64)
fn attn_dqkv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let T = tokens();
  let id = linear_id(gid, nwg);
  let W3 = 3u * p.W;
  if (id >= p.B * T * W3) { return; }
  let c3 = id % W3;
  let row = id / W3;
  let bt = token_of(row);
  let b = bt.x;
  let t = bt.y;
  let part = c3 / p.W;
  let c = c3 % p.W;
  let h = c / p.dh;
  let hb = (b * p.H + h) * T;
  var s = 0.0;
  if (part == 0u) {        // dq_t = Σ_j dS[t, j] k_j
    for (var j = 0u; j < T; j++) { s += hScores[(hb + t) * T + j] * hQkv[row_of(b, j) * W3 + p.W + c]; }
  } else if (part == 1u) { // dk_t = Σ_i dS[i, t] q_i
    for (var i = 0u; i < T; i++) { s += hScores[(hb + i) * T + t] * hQkv[row_of(b, i) * W3 + c]; }
  } else {                 // dv_t = Σ_i P[i, t] dout_i
    for (var i = 0u; i < T; i++) { s += hProbs[(hb + i) * T + t] * hOut[row_of(b, i) * p.W + c]; }
  }
  dQkv[row * W3 + c3] = s;
}
