// Symmetric tensor attention (SPANet): a particle with k interchangeable-or-not decay
// products scores every k-tuple of jets with a rank-k weight tensor W [D^k]:
//   S[b, i1..ik] = Σ W[d1..dk] x[b,i1,d1] ... x[b,ik,dk]
// Symmetries between products (q1 ↔ q2) are imposed by averaging W over the allowed axis
// permutations (symmetrize). For k = 3 the contraction runs in two stages: a matmul gives
// U[b,i,e,f] = Σ_d x[b,i,d] W[d,e,f], then triplet_forward contracts U with x twice
// (B·N³·D² work instead of B·N³·D³).

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

// ---- triplet contraction: S[b,i,j,k] = Σ_{e,f} U[b,i,e,f] x[b,j,e] x[b,k,f] ------------
struct TriParams { B: u32, N: u32, D: u32, _p0: u32 }

@group(0) @binding(0) var<uniform> tp: TriParams;
@group(0) @binding(1) var<storage, read> u: array<f32>;
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
  let ub = (b * N + i) * D * D;
  let xj = (b * N + j) * D;
  let xk = (b * N + kk) * D;
  var acc = 0.0;
  for (var e = 0u; e < D; e++) {
    var inner = 0.0;
    for (var f = 0u; f < D; f++) { inner += u[ub + e * D + f] * x[xk + f]; }
    acc += x[xj + e] * inner;
  }
  s[id] = acc;
}

// dU[b,i,e,f] = Σ_{j,k} dS[b,i,j,k] x[b,j,e] x[b,k,f]
@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gds: array<f32>;
@group(0) @binding(3) var<storage, read_write> du: array<f32>;

@compute @workgroup_size(64)
fn triplet_grad_u(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  let N = tp.N;
  let D = tp.D;
  if (id >= tp.B * N * D * D) { return; }
  let f = id % D;
  let e = (id / D) % D;
  let i = (id / (D * D)) % N;
  let b = id / (D * D * N);
  var acc = 0.0;
  for (var j = 0u; j < N; j++) {
    var inner = 0.0;
    let srow = ((b * N + i) * N + j) * N;
    for (var kk = 0u; kk < N; kk++) { inner += gds[srow + kk] * gx[(b * N + kk) * D + f]; }
    acc += inner * gx[(b * N + j) * D + e];
  }
  du[id] = acc;
}

// dx[b,m,e] = Σ_{i,k} dS[b,i,m,k] Σ_f U[b,i,e,f] x[b,k,f]   (x in the j slot)
//           + Σ_{i,j} dS[b,i,j,m] Σ_d U[b,i,d,e] x[b,j,d]   (x in the k slot)
@group(0) @binding(1) var<storage, read> hu: array<f32>;
@group(0) @binding(2) var<storage, read> hx: array<f32>;
@group(0) @binding(3) var<storage, read> hds: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn triplet_grad_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 64u;
  let N = tp.N;
  let D = tp.D;
  if (id >= tp.B * N * D) { return; }
  let e = id % D;
  let m = (id / D) % N;
  let b = id / (D * N);
  var acc = 0.0;
  for (var i = 0u; i < N; i++) {
    let ub = (b * N + i) * D * D;
    for (var o = 0u; o < N; o++) {
      let xo = (b * N + o) * D;
      let gj = hds[((b * N + i) * N + m) * N + o];   // x_m in the j slot, o = k
      let gk = hds[((b * N + i) * N + o) * N + m];   // x_m in the k slot, o = j
      var uj = 0.0;
      var uk = 0.0;
      for (var f = 0u; f < D; f++) {
        uj += hu[ub + e * D + f] * hx[xo + f];
        uk += hu[ub + f * D + e] * hx[xo + f];
      }
      acc += gj * uj + gk * uk;
    }
  }
  dx[id] = acc;
}
