// Tiled batched matrix product C = act(op(A) · op(B) + bias), op = identity or transpose.
// Each 16×16 workgroup computes a 64×64 tile of C, each thread a 4×4 block, stepping
// through K in slices of 16 staged in workgroup memory. With `writeZ` the pre-activation
// is also stored, for the backward pass of a fused activation.
//   A: [batch?, M, K] (or [batch?, K, M] if transA)    B: [batch?, K, N] (or [N, K] if transB)
// Batch strides of 0 broadcast an operand over the batch.
// Split-K: with `splits` > 1 each workgroup sums only its slice of K (kChunk long) and
// writes a partial product to C[split][batch]; a deterministic reduction adds the slices.
// Used when C has too few tiles to occupy the GPU (weight gradients: small M·N, huge K).

struct Params {
  M: u32, N: u32, K: u32,
  transA: u32, transB: u32,
  hasBias: u32, act: u32, writeZ: u32,
  strideA: u32, strideB: u32, strideC: u32,
  splits: u32, kChunk: u32,
  _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;
@group(0) @binding(5) var<storage, read_write> Z: array<f32>;

const TILE: u32 = 64u;
const KT: u32 = 16u;

var<workgroup> As: array<f32, 1024>; // [KT][TILE]
var<workgroup> Bs: array<f32, 1024>; // [KT][TILE]

fn tanh_safe(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

fn activate(z: f32) -> f32 {
  switch p.act {
    case 1u: { return max(z, 0.0); }
    case 2u: {
      return 0.5 * z * (1.0 + tanh_safe(0.7978845608028654 * (z + 0.044715 * z * z * z)));
    }
    case 3u: { return 1.0 / (1.0 + exp(-z)); }
    case 4u: { return tanh_safe(z); }
    default: { return z; }
  }
}

fn loadA(base: u32, m: u32, k: u32, kEnd: u32) -> f32 {
  if (m >= p.M || k >= kEnd) { return 0.0; }
  if (p.transA == 1u) { return A[base + k * p.M + m]; }
  return A[base + m * p.K + k];
}

fn loadB(base: u32, k: u32, n: u32, kEnd: u32) -> f32 {
  if (k >= kEnd || n >= p.N) { return 0.0; }
  if (p.transB == 1u) { return B[base + n * p.K + k]; }
  return B[base + k * p.N + n];
}

@compute @workgroup_size(16, 16)
fn matmul(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let split = wg.z % p.splits;
  let batch = wg.z / p.splits;
  let batches = nwg.z / p.splits;
  let kBegin = split * p.kChunk;
  let kEnd = min(kBegin + p.kChunk, p.K);
  let m0 = wg.y * TILE;
  let n0 = wg.x * TILE;
  let baseA = batch * p.strideA;
  let baseB = batch * p.strideB;
  let t = lid.y * 16u + lid.x;

  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; }
  }

  for (var k0 = kBegin; k0 < kEnd; k0 += KT) {
    // Stage the slices; the index order follows memory order of each layout.
    for (var r = 0u; r < 4u; r++) {
      let idx = t + r * 256u;
      var kk: u32; var mm: u32;
      if (p.transA == 1u) { kk = idx / TILE; mm = idx % TILE; } else { mm = idx / KT; kk = idx % KT; }
      As[kk * TILE + mm] = loadA(baseA, m0 + mm, k0 + kk, kEnd);
      var kb: u32; var nn: u32;
      if (p.transB == 1u) { nn = idx / KT; kb = idx % KT; } else { kb = idx / TILE; nn = idx % TILE; }
      Bs[kb * TILE + nn] = loadB(baseB, k0 + kb, n0 + nn, kEnd);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * TILE + lid.y + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { b[j] = Bs[kk * TILE + lid.x + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }

  let baseC = (split * batches + batch) * p.strideC;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y + 16u * i;
    if (m >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x + 16u * j;
      if (n >= p.N) { continue; }
      var z = acc[i][j];
      if (p.hasBias == 1u) { z += bias[n]; }
      let o = baseC + m * p.N + n;
      if (p.writeZ == 1u) { Z[o] = z; }
      C[o] = activate(z);
    }
  }
}
