// Transposed 2-D convolution as torch.nn.ConvTranspose2d (groups = 1, dilation = 1):
// x [N, Cin, H, W], w [Cin, Cout, KH, KW], output [N, Cout, Ho, Wo] with
//   Ho = (H - 1)·sy - 2·py + KH + opy   (likewise Wo),
//   y[n, co, oy, ox] = b[co] + Σ_{ci, ky, kx} x[n, ci, iy, ix] · w[ci, co, ky, kx]  where oy = iy·sy - py + ky.
// Every kernel gathers (one thread per written element), so nothing needs atomics.

struct Params {
  N: u32, Cin: u32, H: u32, W: u32,
  Cout: u32, Ho: u32, Wo: u32, KH: u32,
  KW: u32, sy: u32, sx: u32, py: u32,
  px: u32, hasBias: u32, chunk: u32, _p0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// Input index that tap k of output o reads along one axis, or -1: o = i·s - pad + k.
fn src_index(o: u32, k: u32, s: u32, pad: u32, size: u32) -> i32 {
  let t = i32(o + pad) - i32(k);
  if (t < 0 || u32(t) % s != 0u) { return -1; }
  let i = u32(t) / s;
  return select(-1, i32(i), i < size);
}

// ---- forward: one thread per output element
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read> fw: array<f32>;
@group(0) @binding(3) var<storage, read> fb: array<f32>;
@group(0) @binding(4) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(256)
fn conv_transpose_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.Cout * p.Ho * p.Wo) { return; }
  let ox = i % p.Wo;
  let oy = (i / p.Wo) % p.Ho;
  let co = (i / (p.Wo * p.Ho)) % p.Cout;
  let n = i / (p.Wo * p.Ho * p.Cout);
  var acc = 0.0;
  if (p.hasBias == 1u) { acc = fb[co]; }
  let kk = p.KH * p.KW;
  for (var ky = 0u; ky < p.KH; ky++) {
    let iy = src_index(oy, ky, p.sy, p.py, p.H);
    if (iy < 0) { continue; }
    for (var kx = 0u; kx < p.KW; kx++) {
      let ix = src_index(ox, kx, p.sx, p.px, p.W);
      if (ix < 0) { continue; }
      let xo = (n * p.Cin * p.H + u32(iy)) * p.W + u32(ix);
      let wo = co * kk + ky * p.KW + kx;
      for (var ci = 0u; ci < p.Cin; ci++) {
        acc += fx[xo + ci * p.H * p.W] * fw[wo + ci * p.Cout * kk];
      }
    }
  }
  fy[i] = acc;
}

// ---- input gradient, a plain convolution of dy:
//   dx[n, ci, iy, ix] = Σ_{co, ky, kx} dy[n, co, iy·sy - py + ky, ix·sx - px + kx] · w[ci, co, ky, kx]
@group(0) @binding(1) var<storage, read> gdy: array<f32>;
@group(0) @binding(2) var<storage, read> gw: array<f32>;
@group(0) @binding(3) var<storage, read_write> gdx: array<f32>;

@compute @workgroup_size(256)
fn conv_transpose_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.Cin * p.H * p.W) { return; }
  let ix = i % p.W;
  let iy = (i / p.W) % p.H;
  let ci = (i / (p.W * p.H)) % p.Cin;
  let n = i / (p.W * p.H * p.Cin);
  let kk = p.KH * p.KW;
  var acc = 0.0;
  for (var ky = 0u; ky < p.KH; ky++) {
    let oy = i32(iy * p.sy + ky) - i32(p.py);
    if (oy < 0 || oy >= i32(p.Ho)) { continue; }
    for (var kx = 0u; kx < p.KW; kx++) {
      let ox = i32(ix * p.sx + kx) - i32(p.px);
      if (ox < 0 || ox >= i32(p.Wo)) { continue; }
      let yo = (n * p.Cout * p.Ho + u32(oy)) * p.Wo + u32(ox);
      let wo = ci * p.Cout * kk + ky * p.KW + kx;
      for (var co = 0u; co < p.Cout; co++) {
        acc += gdy[yo + co * p.Ho * p.Wo] * gw[wo + co * kk];
      }
    }
  }
  gdx[i] = acc;
}

// ---- weight gradient, partial sums over chunk c (global_invocation_id.y) of the flat (n, iy, ix):
//   part[c, ci, co, ky, kx] = Σ x[n, ci, iy, ix] · dy[n, co, iy·sy - py + ky, ix·sx - px + kx]
@group(0) @binding(1) var<storage, read> wx: array<f32>;
@group(0) @binding(2) var<storage, read> wdy: array<f32>;
@group(0) @binding(3) var<storage, read_write> wpart: array<f32>;

@compute @workgroup_size(256)
fn conv_transpose_weight_partials(@builtin(global_invocation_id) gid: vec3<u32>) {
  let kk = p.KH * p.KW;
  let nw = p.Cin * p.Cout * kk;
  let j = gid.x;
  if (j >= nw) { return; }
  let kx = j % p.KW;
  let ky = (j / p.KW) % p.KH;
  let co = (j / kk) % p.Cout;
  let ci = j / (kk * p.Cout);
  let hw = p.H * p.W;
  let start = gid.y * p.chunk;
  let end = min(start + p.chunk, p.N * hw);
  var acc = 0.0;
  for (var t = start; t < end; t++) {
    let n = t / hw;
    let q = t % hw;
    let iy = q / p.W;
    let ix = q % p.W;
    let oy = i32(iy * p.sy + ky) - i32(p.py);
    let ox = i32(ix * p.sx + kx) - i32(p.px);
    if (oy < 0 || oy >= i32(p.Ho) || ox < 0 || ox >= i32(p.Wo)) { continue; }
    acc += wx[(n * p.Cin + ci) * hw + q] * wdy[((n * p.Cout + co) * p.Ho + u32(oy)) * p.Wo + u32(ox)];
  }
  wpart[gid.y * nw + j] = acc;
}
