// Softmax cross-entropy over the last axis of logits [R, C] with integer labels [R]:
//   loss = sum_r w_r * (logsumexp(z_r) - z_r[y_r]) / sum_r w_r,   w_r = classWeight[y_r]
// Rows with a negative label are ignored (w_r = 0). One thread per row: class counts in
// physics tasks are small (3 pixel classes, a few hundred jet pairs).

struct Params { R: u32, C: u32, hasWeights: u32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> classWeight: array<f32>;
@group(0) @binding(4) var<storage, read_write> rows: array<f32>; // [2, R]: w*nll, then w

fn row_weight(y: i32) -> f32 {
  if (y < 0) { return 0.0; }
  if (p.hasWeights == 1u) { return classWeight[u32(y)]; }
  return 1.0;
}

fn row_max(base: u32) -> f32 {
  var m = logits[base];
  for (var c = 1u; c < p.C; c++) { m = max(m, logits[base + c]); }
  return m;
}

fn row_lse(base: u32, m: f32) -> f32 {
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(logits[base + c] - m); }
  return m + log(s);
}

@compute @workgroup_size(256)
fn xent_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 256u;
  if (r >= p.R) { return; }
  let y = labels[r];
  let w = row_weight(y);
  var nll = 0.0;
  if (w != 0.0) {
    let base = r * p.C;
    nll = row_lse(base, row_max(base)) - logits[base + u32(y)];
  }
  rows[r] = w * nll;
  rows[p.R + r] = w;
}

@group(0) @binding(1) var<storage, read> sums: array<f32>; // [sum w*nll, sum w]
@group(0) @binding(2) var<storage, read_write> lossOut: array<f32>;

@compute @workgroup_size(1)
fn xent_ratio() {
  let w = sums[1];
  lossOut[0] = select(0.0, sums[0] / w, w > 0.0);
}

@group(0) @binding(1) var<storage, read> bLogits: array<f32>;
@group(0) @binding(2) var<storage, read> bLabels: array<i32>;
@group(0) @binding(3) var<storage, read> bWeight: array<f32>;
@group(0) @binding(4) var<storage, read> bSums: array<f32>;
@group(0) @binding(5) var<storage, read> bGout: array<f32>;
@group(0) @binding(6) var<storage, read_write> dLogits: array<f32>;

// d loss / d z[r, c] = g * w_r * (softmax(z_r)[c] - [c == y_r]) / sum w
@compute @workgroup_size(256)
fn xent_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.R * p.C) { return; }
  let r = i / p.C;
  let c = i % p.C;
  let y = bLabels[r];
  var w = 0.0;
  if (y >= 0) { w = select(1.0, bWeight[u32(y)], p.hasWeights == 1u); }
  let total = bSums[1];
  if (w == 0.0 || total <= 0.0) { dLogits[i] = 0.0; return; }
  let base = r * p.C;
  var m = bLogits[base];
  for (var k = 1u; k < p.C; k++) { m = max(m, bLogits[base + k]); }
  var s = 0.0;
  for (var k = 0u; k < p.C; k++) { s += exp(bLogits[base + k] - m); }
  let prob = exp(bLogits[i] - m) / s;
  let onehot = select(0.0, 1.0, u32(y) == c);
  dLogits[i] = bGout[0] * w * (prob - onehot) / total;
}
