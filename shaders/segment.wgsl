// Segment reductions over CSR offsets: x [rows, cols] is split into `segments` runs of rows,
// segment s being rows offsets[s] .. offsets[s+1]-1; y [segments, cols].
// Rows outside [offsets[0], offsets[segments]) belong to no segment (padding): they never
// reach y and get a zero gradient.
// Forward: one thread per (segment, column) walks its rows in order, so every result is
// computed in one fixed order (deterministic, no float atomics); neighbouring threads read
// neighbouring columns. Backward: one thread per (row, column) gathers from its segment,
// found by binary search in the offsets, so nothing is scattered and nothing races.
// Empty segments: sum = mean = max = 0 and, having no rows, they pass no gradient.

struct Params {
  segments: u32,
  cols: u32,
  rows: u32,
  mean: u32,   // 1: divide the sum by the segment's row count
}

@group(0) @binding(0) var<uniform> p: Params;

fn linear(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

// ---- forward: sum / mean ------------------------------------------------------------------
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// Offsets are clamped to the row count so malformed offsets cannot read out of bounds.
fn seg_start(s: u32) -> u32 { return min(offsets[s], p.rows); }
fn seg_end(s: u32) -> u32 { return max(min(offsets[s + 1u], p.rows), seg_start(s)); }

@compute @workgroup_size(256)
fn segment_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.segments * p.cols) { return; }
  let s = i / p.cols;
  let c = i % p.cols;
  let start = seg_start(s);
  let end = seg_end(s);
  var acc = 0.0;
  for (var r = start; r < end; r++) {
    acc += x[r * p.cols + c];
  }
  if (p.mean == 1u && end > start) {
    acc = acc / f32(end - start);
  }
  y[i] = acc;
}

// ---- forward: max (also records the winning row for the backward pass) ---------------------
@group(0) @binding(4) var<storage, read_write> argmax: array<i32>;

@compute @workgroup_size(256)
fn segment_max(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.segments * p.cols) { return; }
  let s = i / p.cols;
  let c = i % p.cols;
  let start = seg_start(s);
  let end = seg_end(s);
  var best = 0.0;
  var arg = -1;
  // Strict '>' keeps the first of tied rows: the same row every run.
  for (var r = start; r < end; r++) {
    let v = x[r * p.cols + c];
    if (arg < 0 || v > best) {
      best = v;
      arg = i32(r);
    }
  }
  y[i] = best;
  argmax[i] = arg;
}

// ---- backward ------------------------------------------------------------------------------
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> boffsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read> bargmax: array<i32>;

// The segment holding row r, or -1 for a padding row. With empty segments several offsets
// are equal; the last segment starting at or before r is the one that contains it.
fn segment_of(r: u32) -> i32 {
  let first = boffsets[0];
  let last = boffsets[p.segments];
  if (p.segments == 0u || r < first || r >= last) { return -1; }
  var lo = 0u;          // invariant: offsets[lo] <= r < offsets[hi]
  var hi = p.segments;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (boffsets[mid] <= r) { lo = mid; } else { hi = mid; }
  }
  return i32(lo);
}

@compute @workgroup_size(256)
fn segment_sum_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let c = i % p.cols;
  let s = segment_of(r);
  var g = 0.0;
  if (s >= 0) {
    let su = u32(s);
    g = dy[su * p.cols + c];
    if (p.mean == 1u) {
      g = g / f32(boffsets[su + 1u] - boffsets[su]);
    }
  }
  dx[i] = g;
}

@compute @workgroup_size(256)
fn segment_max_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let c = i % p.cols;
  let s = segment_of(r);
  var g = 0.0;
  if (s >= 0) {
    let o = u32(s) * p.cols + c;
    if (bargmax[o] == i32(r)) { g = dy[o]; }
  }
  dx[i] = g;
}
