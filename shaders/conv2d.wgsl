// 2-D convolution over NCHW tensors with weights [Cout, Cin, K, K], square kernel, stride s
// and zero padding `pad` on every side: Ho = (H + 2·pad - K) / s + 1.
// Every output element is written by one thread (no atomics). Threads work on blocks of 4
// channels so each loaded pixel feeds 4 (or 16) multiply-adds: channel indices past the
// end are clamped to the last channel for loading and their results are not written.
// The weight gradient is split over chunks of the (n, oy, ox) sum; launchReduce adds them.

struct Params {
  N: u32, Cin: u32, H: u32, W: u32,
  Cout: u32, Ho: u32, Wo: u32, K: u32,
  stride: u32, pad: u32, hasBias: u32, chunk: u32,
  chunks: u32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// 0: the kernel size comes from the uniform. The launcher compiles a variant per kernel size
// with the size written here, so the tap loops have constant bounds and can be unrolled.
const KFIXED: u32 = 0u;

fn ksize() -> u32 { return select(p.K, KFIXED, KFIXED != 0u); }

fn blocks(c: u32) -> u32 { return (c + 3u) / 4u; }

fn clamped4(c0: u32, count: u32) -> vec4<u32> {
  let last = count - 1u;
  return vec4<u32>(min(c0, last), min(c0 + 1u, last), min(c0 + 2u, last), min(c0 + 3u, last));
}

// ---- forward: y[n, co, oy, ox] = b[co] + Σ_{ci, ky, kx} x[n, ci, oy·s - pad + ky, ox·s - pad + kx] · w[co, ci, ky, kx]
// One thread: one output pixel, 4 output channels.
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read> fw: array<f32>;
@group(0) @binding(3) var<storage, read> fb: array<f32>;
@group(0) @binding(4) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(256)
fn conv2d_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let Ho = p.Ho; let Wo = p.Wo; let H = p.H; let W = p.W; let K = ksize(); let Cin = p.Cin; let Cout = p.Cout;
  let cb = blocks(Cout);
  if (i >= p.N * cb * Ho * Wo) { return; }
  let ox = i % Wo;
  var r = i / Wo;
  let oy = r % Ho;
  r = r / Ho;
  let co0 = (r % cb) * 4u;
  let n = r / cb;
  let co = clamped4(co0, Cout);
  var acc = vec4<f32>(0.0);
  if (p.hasBias == 1u) { acc = vec4<f32>(fb[co.x], fb[co.y], fb[co.z], fb[co.w]); }
  let iy0 = i32(oy * p.stride) - i32(p.pad);
  let ix0 = i32(ox * p.stride) - i32(p.pad);
  let kk = K * K;
  let wstride = Cin * kk; // between output channels
  for (var ci = 0u; ci < Cin; ci++) {
    let xb = (n * Cin + ci) * H * W;
    let wb = co * wstride + vec4<u32>(ci * kk);
    // Full tap loops (constant bounds in the specialised variants) with the border test inside.
    for (var ky = 0u; ky < K; ky++) {
      let iy = iy0 + i32(ky);
      if (iy < 0 || iy >= i32(H)) { continue; }
      let xrow = xb + u32(iy) * W;
      for (var kx = 0u; kx < K; kx++) {
        let ix = ix0 + i32(kx);
        if (ix < 0 || ix >= i32(W)) { continue; }
        let xv = fx[xrow + u32(ix)];
        let t = ky * K + kx;
        acc += xv * vec4<f32>(fw[wb.x + t], fw[wb.y + t], fw[wb.z + t], fw[wb.w + t]);
      }
    }
  }
  let plane = Ho * Wo;
  let out = (n * Cout + co0) * plane + oy * Wo + ox;
  fy[out] = acc.x;
  if (co0 + 1u < Cout) { fy[out + plane] = acc.y; }
  if (co0 + 2u < Cout) { fy[out + 2u * plane] = acc.z; }
  if (co0 + 3u < Cout) { fy[out + 3u * plane] = acc.w; }
}

// ---- input gradient: dx[n, ci, iy, ix] = Σ over the outputs whose window holds the pixel.
// One thread: one input pixel, 4 input channels.
@group(0) @binding(1) var<storage, read> gdy: array<f32>;
@group(0) @binding(2) var<storage, read> gw: array<f32>;
@group(0) @binding(3) var<storage, read_write> gdx: array<f32>;

@compute @workgroup_size(256)
fn conv2d_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let Ho = p.Ho; let Wo = p.Wo; let H = p.H; let W = p.W; let K = ksize(); let Cin = p.Cin; let Cout = p.Cout;
  let s = p.stride;
  let cb = blocks(Cin);
  if (i >= p.N * cb * H * W) { return; }
  let ix = i % W;
  var r = i / W;
  let iy = r % H;
  r = r / H;
  let ci0 = (r % cb) * 4u;
  let n = r / cb;
  let ci = clamped4(ci0, Cin);
  let kk = K * K;
  let ty0 = i32(iy + p.pad);
  let tx0 = i32(ix + p.pad);
  var acc = vec4<f32>(0.0);
  for (var co = 0u; co < Cout; co++) {
    let yb = (n * Cout + co) * Ho * Wo;
    let wb = vec4<u32>(co * Cin * kk) + ci * kk;
    // Output (oy, ox) = ((iy + pad - ky) / s, ...) when divisible and inside the output.
    for (var ky = 0u; ky < K; ky++) {
      let ty = ty0 - i32(ky);
      if (ty < 0 || u32(ty) % s != 0u || u32(ty) / s >= Ho) { continue; }
      let yrow = yb + (u32(ty) / s) * Wo;
      for (var kx = 0u; kx < K; kx++) {
        let tx = tx0 - i32(kx);
        if (tx < 0 || u32(tx) % s != 0u || u32(tx) / s >= Wo) { continue; }
        let g = gdy[yrow + u32(tx) / s];
        let t = ky * K + kx;
        acc += g * vec4<f32>(gw[wb.x + t], gw[wb.y + t], gw[wb.z + t], gw[wb.w + t]);
      }
    }
  }
  let plane = H * W;
  let out = (n * Cin + ci0) * plane + iy * W + ix;
  gdx[out] = acc.x;
  if (ci0 + 1u < Cin) { gdx[out + plane] = acc.y; }
  if (ci0 + 2u < Cin) { gdx[out + 2u * plane] = acc.z; }
  if (ci0 + 3u < Cin) { gdx[out + 3u * plane] = acc.w; }
}

// ---- weight gradient, partial sums over chunk c of the flat (n, oy, ox) index:
//   part[c, co, ci, ky, kx] = Σ dy[n, co, oy, ox] · x[n, ci, oy·s - pad + ky, ox·s - pad + kx]
// One thread: one tap (ky, kx), a 4×4 block of (co, ci), one chunk (global_invocation_id.y).
@group(0) @binding(1) var<storage, read> wdy: array<f32>;
@group(0) @binding(2) var<storage, read> wx: array<f32>;
@group(0) @binding(3) var<storage, read_write> wpart: array<f32>;

@compute @workgroup_size(256)
fn conv2d_weight_partials(@builtin(global_invocation_id) gid: vec3<u32>) {
  let Ho = p.Ho; let Wo = p.Wo; let H = p.H; let W = p.W; let K = ksize(); let Cin = p.Cin; let Cout = p.Cout;
  let kk = K * K;
  let cbo = blocks(Cout);
  let cbi = blocks(Cin);
  let j = gid.x;
  if (j >= cbo * cbi * kk) { return; }
  let c = gid.y;
  let tap = j % kk;
  let kx = tap % K;
  let ky = tap / K;
  let ci0 = ((j / kk) % cbi) * 4u;
  let co0 = (j / kk / cbi) * 4u;
  let co = clamped4(co0, Cout);
  let ci = clamped4(ci0, Cin);
  let plane = Ho * Wo;
  let hw = H * W;
  let start = c * p.chunk;
  let end = min(start + p.chunk, p.N * plane);
  var a0 = vec4<f32>(0.0); // co.x with ci.xyzw
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var t = start; t < end; t++) {
    let n = t / plane;
    let q = t % plane;
    let oy = q / Wo;
    let ox = q % Wo;
    let iy = i32(oy * p.stride + ky) - i32(p.pad);
    let ix = i32(ox * p.stride + kx) - i32(p.pad);
    if (iy < 0 || iy >= i32(H) || ix < 0 || ix >= i32(W)) { continue; }
    let xo = n * Cin * hw + u32(iy) * W + u32(ix);
    let xv = vec4<f32>(wx[xo + ci.x * hw], wx[xo + ci.y * hw], wx[xo + ci.z * hw], wx[xo + ci.w * hw]);
    let yo = n * Cout * plane + q;
    a0 += wdy[yo + co.x * plane] * xv;
    a1 += wdy[yo + co.y * plane] * xv;
    a2 += wdy[yo + co.z * plane] * xv;
    a3 += wdy[yo + co.w * plane] * xv;
  }
  let nw = Cout * Cin * kk;
  let base = c * nw;
  let rows = array<vec4<f32>, 4>(a0, a1, a2, a3);
  for (var a = 0u; a < 4u; a++) {
    if (co0 + a >= Cout) { break; }
    for (var b = 0u; b < 4u; b++) {
      if (ci0 + b >= Cin) { break; }
      wpart[base + ((co0 + a) * Cin + ci0 + b) * kk + tap] = rows[a][b];
    }
  }
}
