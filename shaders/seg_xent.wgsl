// Per-pixel softmax cross-entropy straight on NCHW logits, for segmentation of P planes.
// logits [B·P, C, HW] (image n = b·P + p), labels [B·P, HW] i32 (negative = ignored),
// classWeight [P, C] (per-plane class weights, fixed per batch). Plane loss:
//   L_p = Σ_{b,q} w·CE / Σ_{b,q} w,  w = classWeight[p, y] · (focal ? (1 - softmax_y)² : 1)
// and the loss is Σ_p L_p. The focal factor is treated as a constant weight in the backward
// pass (CosmicTagger computes its weights under no_grad).

struct Params { B: u32, P: u32, C: u32, HW: u32, focal: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;

struct PixelTerms { w: f32, ce: f32 }

fn pixel_terms(n: u32, q: u32, y: i32) -> PixelTerms {
  if (y < 0 || u32(y) >= p.C) { return PixelTerms(0.0, 0.0); }
  let base = n * p.C * p.HW + q;
  var m = xlogits[base];
  for (var c = 1u; c < p.C; c++) { m = max(m, xlogits[base + c * p.HW]); }
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(xlogits[base + c * p.HW] - m); }
  let zy = xlogits[base + u32(y) * p.HW];
  var w = xweight[(n % p.P) * p.C + u32(y)];
  if (p.focal == 1u) {
    let py = exp(zy - m) / s;
    w = w * (1.0 - py) * (1.0 - py);
  }
  return PixelTerms(w, m + log(s) - zy);
}

// ---- per-pixel terms, laid out [P, 2, B·HW] so one row reduction gives Σ w·CE and Σ w per plane
@group(0) @binding(1) var<storage, read> xlogits: array<f32>;
@group(0) @binding(2) var<storage, read> xlabels: array<i32>;
@group(0) @binding(3) var<storage, read> xweight: array<f32>;
@group(0) @binding(4) var<storage, read_write> xrows: array<f32>;

@compute @workgroup_size(256)
fn seg_xent_pixels(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 256u;
  if (r >= p.B * p.P * p.HW) { return; }
  let n = r / p.HW;
  let q = r % p.HW;
  let t = pixel_terms(n, q, xlabels[r]);
  let plane = n % p.P;
  let col = (n / p.P) * p.HW + q;
  let len = p.B * p.HW;
  xrows[(2u * plane) * len + col] = t.w * t.ce;
  xrows[(2u * plane + 1u) * len + col] = t.w;
}

// ---- Σ_p (Σ w·CE)_p / (Σ w)_p; a plane without weight contributes 0
@group(0) @binding(1) var<storage, read> tsums: array<f32>;
@group(0) @binding(2) var<storage, read_write> tloss: array<f32>;

@compute @workgroup_size(1)
fn seg_xent_total() {
  var total = 0.0;
  for (var k = 0u; k < p.P; k++) {
    let w = tsums[2u * k + 1u];
    if (w > 0.0) { total += tsums[2u * k] / w; }
  }
  tloss[0] = total;
}

// ---- d loss / d z[n, c, q] = g · w · (softmax_c - [c = y]) / (Σ w)_p
@group(0) @binding(1) var<storage, read> blogits: array<f32>;
@group(0) @binding(2) var<storage, read> blabels: array<i32>;
@group(0) @binding(3) var<storage, read> bweight: array<f32>;
@group(0) @binding(4) var<storage, read> bsums: array<f32>;
@group(0) @binding(5) var<storage, read> bgout: array<f32>;
@group(0) @binding(6) var<storage, read_write> bdlogits: array<f32>;

@compute @workgroup_size(256)
fn seg_xent_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.B * p.P * p.C * p.HW) { return; }
  let q = i % p.HW;
  let r = i / p.HW;
  let c = r % p.C;
  let n = r / p.C;
  let y = blabels[n * p.HW + q];
  let total = bsums[2u * (n % p.P) + 1u];
  if (y < 0 || u32(y) >= p.C || total <= 0.0) { bdlogits[i] = 0.0; return; }
  let base = n * p.C * p.HW + q;
  var m = blogits[base];
  for (var k = 1u; k < p.C; k++) { m = max(m, blogits[base + k * p.HW]); }
  var s = 0.0;
  for (var k = 0u; k < p.C; k++) { s += exp(blogits[base + k * p.HW] - m); }
  var w = bweight[(n % p.P) * p.C + u32(y)];
  if (p.focal == 1u) {
    let py = exp(blogits[base + u32(y) * p.HW] - m) / s;
    w = w * (1.0 - py) * (1.0 - py);
  }
  let prob = exp(blogits[i] - m) / s;
  let onehot = select(0.0, 1.0, u32(y) == c);
  bdlogits[i] = bgout[0] * w * (prob - onehot) / total;
}
