// Deterministic sums over one axis of a tensor viewed as [outer, n, inner] -> [outer, inner],
// scaled by `scale` (1/n gives the mean). Long axes are split into chunks written as
// partial sums, which a second launch of the same kernels adds up: no float atomics.

struct Params {
  outer: u32, n: u32, inner: u32,
  chunk: u32,   // elements of the axis handled by one workgroup (rows) or thread (cols)
  chunks: u32,  // number of chunks = size of the partial-sum axis in the output
  scale: f32,
  _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

var<workgroup> partial: array<f32, 256>;

// inner == 1: a workgroup tree-reduces one chunk of one row. Output [outer, chunks].
@compute @workgroup_size(256)
fn reduce_rows(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let o = wg.y;
  let c = wg.x;
  let start = c * p.chunk;
  let end = min(start + p.chunk, p.n);
  var s = 0.0;
  for (var j = start + lid.x; j < end; j += 256u) {
    s += src[o * p.n + j];
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid.x < w) { partial[lid.x] += partial[lid.x + w]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { dst[o * p.chunks + c] = partial[0] * p.scale; }
}

// inner > 1: one thread per (outer, inner) output sums its chunk of the axis sequentially,
// neighbouring threads reading neighbouring addresses. Output [outer, chunks, inner].
@compute @workgroup_size(256)
fn reduce_cols(
  @builtin(global_invocation_id) gid: vec3<u32>,
) {
  let idx = gid.x;
  if (idx >= p.outer * p.inner) { return; }
  let c = gid.y;
  let o = idx / p.inner;
  let i = idx % p.inner;
  let start = c * p.chunk;
  let end = min(start + p.chunk, p.n);
  var s = 0.0;
  for (var j = start; j < end; j++) {
    s += src[(o * p.n + j) * p.inner + i];
  }
  dst[(o * p.chunks + c) * p.inner + i] = s * p.scale;
}
