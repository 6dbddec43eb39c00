// Instance normalisation of NCHW tensors: every (n, c) plane of HW pixels is normalised by
// its own mean and (biased) variance, then scaled and shifted per channel:
//   y = γ[c] · (x - μ[n,c]) · rstd[n,c] + β[c],   rstd = 1 / sqrt(σ² + eps).
// Statistics avoid workgroup barriers (slow on CPU WebGPU): one thread per (plane, chunk of
// `chunk` pixels) computes the chunk's mean and squared deviations M2 (two passes over the
// chunk), then one thread per plane merges its chunks in order (Chan et al.'s pairwise
// update): deterministic and free of the E[x²] - E[x]² cancellation.

struct Params { rows: u32, C: u32, HW: u32, eps: f32, chunk: u32, chunks: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;

fn chunk_range(k: u32) -> vec2<u32> {
  let start = k * p.chunk;
  return vec2<u32>(start, min(start + p.chunk, p.HW));
}

// ---- chunk moments: part[(r·chunks + k)·2 + {0,1}] = mean, M2 of the chunk
@group(0) @binding(1) var<storage, read> mx: array<f32>;
@group(0) @binding(2) var<storage, read_write> mpart: array<f32>;

@compute @workgroup_size(256)
fn norm_chunk_moments(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.rows * p.chunks) { return; }
  let r = t / p.chunks;
  let range = chunk_range(t % p.chunks);
  let base = r * p.HW;
  var s = 0.0;
  for (var j = range.x; j < range.y; j++) { s += mx[base + j]; }
  let mean = s / f32(range.y - range.x);
  var m2 = 0.0;
  for (var j = range.x; j < range.y; j++) {
    let d = mx[base + j] - mean;
    m2 += d * d;
  }
  mpart[2u * t] = mean;
  mpart[2u * t + 1u] = m2;
}

// ---- merge: stats[2r] = mean, stats[2r+1] = rstd
@group(0) @binding(1) var<storage, read> gpart: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(64)
fn norm_merge_moments(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    let range = chunk_range(k);
    let nb = f32(range.y - range.x);
    let i = 2u * (r * p.chunks + k);
    let delta = gpart[i] - mean;
    let total = n + nb;
    mean += delta * nb / total;
    m2 += gpart[i + 1u] + delta * delta * n * nb / total;
    n = total;
  }
  stats[2u * r] = mean;
  stats[2u * r + 1u] = inverseSqrt(m2 / n + p.eps);
}

// ---- y = γ·x̂ + β
@group(0) @binding(1) var<storage, read> ax: array<f32>;
@group(0) @binding(2) var<storage, read> astats: array<f32>;
@group(0) @binding(3) var<storage, read> agamma: array<f32>;
@group(0) @binding(4) var<storage, read> abeta: array<f32>;
@group(0) @binding(5) var<storage, read_write> ay: array<f32>;

@compute @workgroup_size(256)
fn norm_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.rows * p.HW) { return; }
  let r = i / p.HW;
  let c = r % p.C;
  ay[i] = agamma[c] * (ax[i] - astats[2u * r]) * astats[2u * r + 1u] + abeta[c];
}

// ---- backward chunk sums: bpart[(r·chunks + k)·2 + {0,1}] = Σ dy, Σ dy·x̂ over the chunk
@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bstats: array<f32>;
@group(0) @binding(3) var<storage, read> bdy: array<f32>;
@group(0) @binding(4) var<storage, read_write> bpart: array<f32>;

@compute @workgroup_size(256)
fn norm_chunk_grad_sums(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.rows * p.chunks) { return; }
  let r = t / p.chunks;
  let range = chunk_range(t % p.chunks);
  let base = r * p.HW;
  let mean = bstats[2u * r];
  let rstd = bstats[2u * r + 1u];
  var s = 0.0;
  var sxh = 0.0;
  for (var j = range.x; j < range.y; j++) {
    let g = bdy[base + j];
    s += g;
    sxh += g * (bx[base + j] - mean) * rstd;
  }
  bpart[2u * t] = s;
  bpart[2u * t + 1u] = sxh;
}

// ---- rsum[r] = Σ dy, rsum[rows + r] = Σ dy·x̂ (layout [2, N, C], summed over N for dβ, dγ)
@group(0) @binding(1) var<storage, read> spart: array<f32>;
@group(0) @binding(2) var<storage, read_write> rsum: array<f32>;

@compute @workgroup_size(64)
fn norm_merge_grad_sums(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  var s = 0.0;
  var sxh = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    s += spart[2u * (r * p.chunks + k)];
    sxh += spart[2u * (r * p.chunks + k) + 1u];
  }
  rsum[r] = s;
  rsum[p.rows + r] = sxh;
}

// ---- dx = γ·rstd·(dy - mean(dy) - x̂·mean(dy·x̂))
@group(0) @binding(1) var<storage, read> dxx: array<f32>;
@group(0) @binding(2) var<storage, read> dstats: array<f32>;
@group(0) @binding(3) var<storage, read> dgamma: array<f32>;
@group(0) @binding(4) var<storage, read> ddy: array<f32>;
@group(0) @binding(5) var<storage, read> drsum: array<f32>;
@group(0) @binding(6) var<storage, read_write> ddx: array<f32>;

@compute @workgroup_size(256)
fn norm_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.rows * p.HW) { return; }
  let r = i / p.HW;
  let c = r % p.C;
  let rstd = dstats[2u * r + 1u];
  let xhat = (dxx[i] - dstats[2u * r]) * rstd;
  let n = f32(p.HW);
  ddx[i] = dgamma[c] * rstd * (ddy[i] - drsum[r] / n - xhat * drsum[p.rows + r] / n);
}
