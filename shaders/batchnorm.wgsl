// Batch normalisation of [N, C, L] tensors (L = product of the trailing dims; 1 for [N, C]),
// per channel over the N·L values of that channel, as torch.nn.BatchNorm{1,2}d:
//   y = γ[c] · (x - μ[c]) · rstd[c] + β[c],   rstd = 1 / sqrt(σ²[c] + eps)
// Train mode normalises with the batch mean and biased variance and moves the running
// statistics towards the batch mean and UNBIASED variance (torch's rule); eval mode uses the
// running statistics. Statistics are chunked (one thread per (channel, chunk) does a
// two-pass mean / M2) and merged per channel in chunk order (Chan et al.): deterministic,
// no atomics, no E[x²] - E[x]² cancellation.

struct Params {
  N: u32, C: u32, L: u32, chunk: u32,
  chunks: u32, eps: f32, momentum: f32, flags: u32,
}
// flags: bit 0 update the running statistics; bit 1 momentum None (cumulative average, factor
// 1 / num_batches_tracked); bit 2 train-mode gradient (the batch statistics depend on x).

@group(0) @binding(0) var<uniform> p: Params;

fn per_channel() -> u32 { return p.N * p.L; }

// Flat index of the t-th value (t < N·L) of channel c.
fn at(c: u32, t: u32) -> u32 {
  return ((t / p.L) * p.C + c) * p.L + t % p.L;
}

fn chunk_range(k: u32) -> vec2<u32> {
  let start = k * p.chunk;
  return vec2<u32>(start, min(start + p.chunk, per_channel()));
}

// ---- chunk moments: part[(c·chunks + k)·2 + {0, 1}] = mean, M2 of the chunk
@group(0) @binding(1) var<storage, read> mx: array<f32>;
@group(0) @binding(2) var<storage, read_write> mpart: array<f32>;

@compute @workgroup_size(256)
fn bn_chunk_moments(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.C * p.chunks) { return; }
  let c = t / p.chunks;
  let range = chunk_range(t % p.chunks);
  var s = 0.0;
  for (var j = range.x; j < range.y; j++) { s += mx[at(c, j)]; }
  let mean = s / f32(range.y - range.x);
  var m2 = 0.0;
  for (var j = range.x; j < range.y; j++) {
    let d = mx[at(c, j)] - mean;
    m2 += d * d;
  }
  mpart[2u * t] = mean;
  mpart[2u * t + 1u] = m2;
}

// ---- merge per channel: stats[2c] = mean, stats[2c+1] = rstd (biased variance), and the
// running update with the unbiased variance M2 / (n - 1). `count` is num_batches_tracked
// before this batch (bn_count increments it afterwards).
@group(0) @binding(1) var<storage, read> gpart: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> run_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> run_var: array<f32>;
@group(0) @binding(5) var<storage, read> count: array<i32>;

@compute @workgroup_size(64)
fn bn_merge_moments(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x + gid.y * nwg.x * 64u;
  if (c >= p.C) { return; }
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    let range = chunk_range(k);
    let nb = f32(range.y - range.x);
    let i = 2u * (c * p.chunks + k);
    let delta = gpart[i] - mean;
    let total = n + nb;
    mean += delta * nb / total;
    m2 += gpart[i + 1u] + delta * delta * n * nb / total;
    n = total;
  }
  stats[2u * c] = mean;
  stats[2u * c + 1u] = inverseSqrt(m2 / n + p.eps);
  if ((p.flags & 1u) != 0u) {
    var f = p.momentum;
    if ((p.flags & 2u) != 0u) { f = 1.0 / f32(count[0] + 1); }
    run_mean[c] = (1.0 - f) * run_mean[c] + f * mean;
    run_var[c] = (1.0 - f) * run_var[c] + f * m2 / (n - 1.0);
  }
}

// ---- num_batches_tracked += 1 (one thread)
@group(0) @binding(1) var<storage, read_write> counter: array<i32>;

@compute @workgroup_size(1)
fn bn_count() {
  counter[0] = counter[0] + 1;
}

// ---- eval mode: stats from the running statistics
@group(0) @binding(1) var<storage, read> emean: array<f32>;
@group(0) @binding(2) var<storage, read> evar: array<f32>;
@group(0) @binding(3) var<storage, read_write> estats: array<f32>;

@compute @workgroup_size(64)
fn bn_eval_stats(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  estats[2u * c] = emean[c];
  estats[2u * c + 1u] = inverseSqrt(evar[c] + p.eps);
}

// ---- y = γ·x̂ + β
@group(0) @binding(1) var<storage, read> ax: array<f32>;
@group(0) @binding(2) var<storage, read> astats: array<f32>;
@group(0) @binding(3) var<storage, read> agamma: array<f32>;
@group(0) @binding(4) var<storage, read> abeta: array<f32>;
@group(0) @binding(5) var<storage, read_write> ay: array<f32>;

@compute @workgroup_size(256)
fn bn_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.L) { return; }
  let c = (i / p.L) % p.C;
  ay[i] = agamma[c] * (ax[i] - astats[2u * c]) * astats[2u * c + 1u] + abeta[c];
}

// ---- chunk gradient sums: part[(c·chunks + k)·2 + {0, 1}] = Σ dy, Σ dy·x̂ over the chunk
@group(0) @binding(1) var<storage, read> sx: array<f32>;
@group(0) @binding(2) var<storage, read> sstats: array<f32>;
@group(0) @binding(3) var<storage, read> sdy: array<f32>;
@group(0) @binding(4) var<storage, read_write> spart: array<f32>;

@compute @workgroup_size(256)
fn bn_chunk_grad_sums(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.C * p.chunks) { return; }
  let c = t / p.chunks;
  let range = chunk_range(t % p.chunks);
  let mean = sstats[2u * c];
  let rstd = sstats[2u * c + 1u];
  var sdy_sum = 0.0;
  var sdyx = 0.0;
  for (var j = range.x; j < range.y; j++) {
    let i = at(c, j);
    let g = sdy[i];
    sdy_sum += g;
    sdyx += g * (sx[i] - mean) * rstd;
  }
  spart[2u * t] = sdy_sum;
  spart[2u * t + 1u] = sdyx;
}

// ---- merge: sums[c] = Σ dy (= dβ), sums[C + c] = Σ dy·x̂ (= dγ)
@group(0) @binding(1) var<storage, read> hpart: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(64)
fn bn_merge_grad_sums(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var a = 0.0;
  var b = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    let i = 2u * (c * p.chunks + k);
    a += hpart[i];
    b += hpart[i + 1u];
  }
  sums[c] = a;
  sums[p.C + c] = b;
}

// ---- dx. Train mode: γ·rstd·(dy - mean(dy) - x̂·mean(dy·x̂)); eval mode: γ·rstd·dy.
@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bstats: array<f32>;
@group(0) @binding(3) var<storage, read> bgamma: array<f32>;
@group(0) @binding(4) var<storage, read> bdy: array<f32>;
@group(0) @binding(5) var<storage, read> bsums: array<f32>;
@group(0) @binding(6) var<storage, read_write> bdx: array<f32>;

@compute @workgroup_size(256)
fn bn_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.L) { return; }
  let c = (i / p.L) % p.C;
  let rstd = bstats[2u * c + 1u];
  var g = bdy[i];
  if ((p.flags & 4u) != 0u) {
    let m = f32(per_channel());
    let xhat = (bx[i] - bstats[2u * c]) * rstd;
    g = g - bsums[c] / m - xhat * bsums[p.C + c] / m;
  }
  bdx[i] = bgamma[c] * rstd * g;
}
