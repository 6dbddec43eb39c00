// Moves multi-head attention operands between the token layout of a linear layer's
// output and the head-major layout attention works in (a gather; one thread per output):
//   tokens [B, T, H·D] (batch first) or [T, B, H·D] (sequence first)  ⇄  heads [B, H, T, D]
// split: heads ← tokens; merge: tokens ← heads. Each is the other's backward.

struct Params { n: u32, B: u32, T: u32, H: u32, D: u32, seqFirst: u32, toHeads: u32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn token_row(b: u32, t: u32) -> u32 {
  return select(b * p.T + t, t * p.B + b, p.seqFirst == 1u);
}

@compute @workgroup_size(256)
fn heads_permute(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let E = p.H * p.D;
  if (p.toHeads == 1u) {
    let d = i % p.D;
    let t = (i / p.D) % p.T;
    let h = (i / (p.D * p.T)) % p.H;
    let b = i / (p.D * p.T * p.H);
    dst[i] = src[token_row(b, t) * E + h * p.D + d];
  } else {
    let c = i % E;
    let row = i / E;
    let b = select(row / p.T, row % p.B, p.seqFirst == 1u);
    let t = select(row % p.T, row / p.B, p.seqFirst == 1u);
    dst[i] = src[((b * p.H + c / p.D) * p.T + t) * p.D + c % p.D];
  }
}
