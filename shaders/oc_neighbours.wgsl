// Mean over fixed neighbour lists (the message-passing layer of the clustering task):
// y[i, :] = mean_{j ∈ N(i)} h[j, :]. The lists are CSR, built at data load; the backward is
// the same gather over the transposed lists (no scatter, no atomics).
// graph = [offsets (N+1) | neighbours (M) | reverse offsets (N+1) | reverse neighbours (M)].

struct NbParams { n: u32, c: u32, m: u32, _p: u32 }

@group(0) @binding(0) var<uniform> nb: NbParams;
@group(0) @binding(1) var<storage, read> graph: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

fn degree(i: u32) -> f32 { return f32(max(graph[i + 1u] - graph[i], 1u)); }

@compute @workgroup_size(256)
fn neighbour_mean(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  if (idx >= nb.n * nb.c) { return; }
  let i = idx / nb.c;
  let ch = idx % nb.c;
  var s = 0.0;
  for (var a = graph[i]; a < graph[i + 1u]; a++) { s += src[graph[nb.n + 1u + a] * nb.c + ch]; }
  dst[idx] = s / degree(i);
}

// dh[j, :] = Σ_{i : j ∈ N(i)} dy[i, :] / |N(i)|
@compute @workgroup_size(256)
fn neighbour_mean_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  if (idx >= nb.n * nb.c) { return; }
  let j = idx / nb.c;
  let ch = idx % nb.c;
  let r0 = nb.n + 1u + nb.m;
  var s = 0.0;
  for (var a = graph[r0 + j]; a < graph[r0 + j + 1u]; a++) {
    let i = graph[r0 + nb.n + 1u + a];
    s += src[i * nb.c + ch] / degree(i);
  }
  dst[idx] = s;
}
