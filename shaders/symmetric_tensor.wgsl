// Symmetric tensor attention (SPANet): a particle with k interchangeable-or-not decay
// products scores every k-tuple of jets with a rank-k weight tensor W [D^k]:
//   S[b, i1..ik] = Σ W[d1..dk] x[b,i1,d1] ... x[b,ik,dk]
// Symmetries between products (q1 ↔ q2) are imposed by averaging W over the allowed axis
// permutations (symmetrize). For k = 3 the contraction runs in three stages, two of them
// matmuls: U[b,i,e,f] = Σ_d x[b,i,d] W[d,e,f], V[b,i,e,k] = Σ_f U[b,i,e,f] x[b,k,f], and
// triplet_forward below (B·N²·D² + B·N³·D work instead of B·N³·D³).

// ---- symmetrize: y[idx] = mean over σ of w[σ(idx)], σ permuting the k axes ---------------
struct SymParams {
  n: u32, D: u32, k: u32, nperm: u32,
  perm: array<vec4<u32>, 6>,  // perm[s][a]: source axis of output axis a
}

@group(0) @binding(0) var<uniform> sp: SymParams;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wsym: array<f32>;

@compute @workgroup_size(64)
fn symmetrize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  if (id >= sp.n) { return; }
  var digits: array<u32, 4>;
  var rest = id;
  for (var a = 0u; a < sp.k; a++) {       // digits[0] is the most significant axis
    digits[sp.k - 1u - a] = rest % sp.D;
    rest = rest / sp.D;
  }
  var s = 0.0;
  for (var q = 0u; q < sp.nperm; q++) {
    var src = 0u;
    for (var a = 0u; a < sp.k; a++) { src = src * sp.D + digits[sp.perm[q][a]]; }
    s += w[src];
  }
  wsym[id] = s / f32(sp.nperm);
}

// ---- triplet contraction, last stage ------------------------------------------------------
// V[b,i,e,k] = Σ_f U[b,i,e,f] x[b,k,f] comes from a batched matmul; this stage gives
//   S[b,i,j,k] = Σ_e x[b,j,e] V[b,i,e,k]        (D multiply-adds per score)
struct TriParams { B: u32, N: u32, D: u32, _p0: u32 }

@group(0) @binding(0) var<uniform> tp: TriParams;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

@compute @workgroup_size(64)
fn triplet_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  let N = tp.N;
  let D = tp.D;
  if (id >= tp.B * N * N * N) { return; }
  let kk = id % N;
  let j = (id / N) % N;
  let i = (id / (N * N)) % N;
  let b = id / (N * N * N);
  let vb = (b * N + i) * D * N + kk;
  let xj = (b * N + j) * D;
  var acc = 0.0;
  for (var e = 0u; e < D; e++) { acc += x[xj + e] * v[vb + e * N]; }
  s[id] = acc;
}

// dV[b,i,e,k] = Σ_j dS[b,i,j,k] x[b,j,e]
@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gds: array<f32>;
@group(0) @binding(3) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(64)
fn triplet_grad_v(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  let N = tp.N;
  let D = tp.D;
  if (id >= tp.B * N * D * N) { return; }
  let kk = id % N;
  let e = (id / N) % D;
  let i = (id / (N * D)) % N;
  let b = id / (N * D * N);
  var acc = 0.0;
  for (var j = 0u; j < N; j++) {
    acc += gds[((b * N + i) * N + j) * N + kk] * gx[(b * N + j) * D + e];
  }
  dv[id] = acc;
}

// dx[b,j,e] = Σ_{i,k} dS[b,i,j,k] V[b,i,e,k]
@group(0) @binding(1) var<storage, read> hv: array<f32>;
@group(0) @binding(2) var<storage, read> hds: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn triplet_grad_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  let N = tp.N;
  let D = tp.D;
  if (id >= tp.B * N * D) { return; }
  let e = id % D;
  let j = (id / D) % N;
  let b = id / (D * N);
  var acc = 0.0;
  for (var i = 0u; i < N; i++) {
    let srow = ((b * N + i) * N + j) * N;
    let vrow = ((b * N + i) * D + e) * N;
    for (var kk = 0u; kk < N; kk++) { acc += hds[srow + kk] * hv[vrow + kk]; }
  }
  dx[id] = acc;
}

// ---- small batched A·Bᵀ: out[b,m,n] = Σ_d a[b,m,d] x[b,n,d] -----------------------------
// Pair scores (m = jet i) and the middle stage of triplets (m = (jet i, e)) contract over
// a few jets; the tiled matmul would pad N ≈ 10 jets to 64-wide tiles, so one thread per
// output with a plain loop is far faster here.
struct DotParams { B: u32, M: u32, N: u32, D: u32 }

@group(0) @binding(0) var<uniform> dp: DotParams;
@group(0) @binding(1) var<storage, read> da: array<f32>;
@group(0) @binding(2) var<storage, read> dxs: array<f32>;
@group(0) @binding(3) var<storage, read_write> dout: array<f32>;

@compute @workgroup_size(64)
fn rowdot_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  if (id >= dp.B * dp.M * dp.N) { return; }
  let n = id % dp.N;
  let bm = id / dp.N;            // b * M + m
  let b = bm / dp.M;
  let ar = bm * dp.D;
  let xr = (b * dp.N + n) * dp.D;
  var acc = 0.0;
  for (var d = 0u; d < dp.D; d++) { acc += da[ar + d] * dxs[xr + d]; }
  dout[id] = acc;
}

// da[b,m,d] = Σ_n g[b,m,n] x[b,n,d]
@group(0) @binding(1) var<storage, read> ra: array<f32>;   // x
@group(0) @binding(2) var<storage, read> rg: array<f32>;   // g [B,M,N]
@group(0) @binding(3) var<storage, read_write> rda: array<f32>;

@compute @workgroup_size(64)
fn rowdot_grad_a(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  if (id >= dp.B * dp.M * dp.D) { return; }
  let d = id % dp.D;
  let bm = id / dp.D;
  let b = bm / dp.M;
  var acc = 0.0;
  for (var n = 0u; n < dp.N; n++) { acc += rg[bm * dp.N + n] * ra[(b * dp.N + n) * dp.D + d]; }
  rda[id] = acc;
}

// dx[b,n,d] = Σ_m g[b,m,n] a[b,m,d]
@group(0) @binding(1) var<storage, read> qa: array<f32>;   // a
@group(0) @binding(2) var<storage, read> qg: array<f32>;   // g
@group(0) @binding(3) var<storage, read_write> qdx: array<f32>;

@compute @workgroup_size(64)
fn rowdot_grad_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  if (id >= dp.B * dp.N * dp.D) { return; }
  let d = id % dp.D;
  let bn = id / dp.D;
  let n = bn % dp.N;
  let b = bn / dp.N;
  var acc = 0.0;
  for (var m = 0u; m < dp.M; m++) {
    acc += qg[(b * dp.M + m) * dp.N + n] * qa[(b * dp.M + m) * dp.D + d];
  }
  qdx[id] = acc;
}
