// Object condensation, plain dense implementation (upstream's `condensation_loss` strategy):
// N×K matrices of distances and pair potentials, column sums by the generic reduction; the
// backward re-reads the saved distance matrix. For comparison and tests: memory is O(N·K).
// Prefixed with oc_common.wgsl.

// ---- forward: one thread per (hit, object) pair -----------------------------------------
@group(0) @binding(2) var<storage, read> dp_beta: array<f32>;
@group(0) @binding(3) var<storage, read> dp_x: array<f32>;
@group(0) @binding(4) var<storage, read> dp_w: array<f32>;
@group(0) @binding(5) var<storage, read> dp_cp: array<f32>;          // [K, D+1]
@group(0) @binding(6) var<storage, read_write> dp_dist: array<f32>;  // [N, K]; -1 across events
@group(0) @binding(7) var<storage, read_write> dp_att: array<f32>;   // [N, K]
@group(0) @binding(8) var<storage, read_write> dp_rep: array<f32>;   // [N, K]

@compute @workgroup_size(256)
fn oc_dense_pairs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  if (idx >= p.n * p.k) { return; }
  let D = p.d;
  let j = idx / p.k;
  let k = idx % p.k;
  if (hit_event(j) != obj_event(k)) {
    dp_dist[idx] = -1.0;
    dp_att[idx] = 0.0;
    dp_rep[idx] = 0.0;
    return;
  }
  var d2 = 0.0;
  for (var c = 0u; c < D; c++) {
    let dd = dp_x[j * D + c] - dp_cp[k * (D + 1u) + c];
    d2 += dd * dd;
  }
  let d = sqrt(d2);
  var wj = 1.0;
  if ((p.flags & F_WEIGHTS) != 0u) { wj = dp_w[j]; }
  let qq = wj * charge(dp_beta[j]) * dp_cp[k * (D + 1u) + D];
  dp_dist[idx] = d;
  if (hit_obj(j) == i32(k)) {
    dp_att[idx] = qq * d2;
    dp_rep[idx] = 0.0;
  } else {
    dp_att[idx] = 0.0;
    dp_rep[idx] = qq * max(1.0 - d, 0.0);
  }
}

// ---- forward: per-object normalisation of the column sums --------------------------------
@group(0) @binding(2) var<storage, read> dt_att: array<f32>;        // [K] column sums
@group(0) @binding(3) var<storage, read> dt_rep: array<f32>;        // [K]
@group(0) @binding(4) var<storage, read_write> dt_terms: array<f32>; // [K, 3]

@compute @workgroup_size(64)
fn oc_dense_terms(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * 64u;
  if (k >= p.k) { return; }
  dt_terms[k * 3u] = dt_att[k] / (obj_size(k) + EPS);
  dt_terms[k * 3u + 1u] = dt_rep[k] / (ev_hits(obj_event(k)) - obj_size(k) + EPS);
}

// d loss / d dist_jk and d loss / d (q_j q_alpha) per pair, from the saved distance.
struct PairGrad { dd: f32, dqq: f32 }

fn pair_grad(j: u32, k: u32, d: f32, g: vec4<f32>) -> PairGrad {
  let ev = obj_event(k);
  let scale = 1.0 / (ev_objects(ev) * f32(p.e));
  if (hit_obj(j) == i32(k)) {
    let a = g.x * scale / (obj_size(k) + EPS);
    return PairGrad(a * 2.0 * d, a * d * d);
  }
  if (d >= 1.0) { return PairGrad(0.0, 0.0); }
  let r = g.y * scale / (ev_hits(ev) - obj_size(k) + EPS);
  return PairGrad(-r, r * (1.0 - d));
}

// ---- backward, rows: one thread per hit; zeroes the direct beta gradient ----------------
@group(0) @binding(2) var<storage, read> br_beta: array<f32>;
@group(0) @binding(3) var<storage, read> br_x: array<f32>;
@group(0) @binding(4) var<storage, read> br_w: array<f32>;
@group(0) @binding(5) var<storage, read> br_cp: array<f32>;
@group(0) @binding(6) var<storage, read> br_dist: array<f32>;
@group(0) @binding(7) var<storage, read> br_g: array<f32>;
@group(0) @binding(8) var<storage, read_write> br_dx: array<f32>;
@group(0) @binding(9) var<storage, read_write> br_dq: array<f32>;
@group(0) @binding(10) var<storage, read_write> br_db: array<f32>;

@compute @workgroup_size(64)
fn oc_dense_backward_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.n) { return; }
  let D = p.d;
  let g = vec4<f32>(br_g[0], br_g[1], br_g[2], br_g[3]);
  var wj = 1.0;
  if ((p.flags & F_WEIGHTS) != 0u) { wj = br_w[j]; }
  let qj = charge(br_beta[j]);
  let ev = hit_event(j);
  for (var c = 0u; c < D; c++) { br_dx[j * D + c] = 0.0; }
  var dq = 0.0;
  for (var k = ev_obj_start(ev); k < ev_obj_end(ev); k++) {
    let d = br_dist[j * p.k + k];
    let pg = pair_grad(j, k, d, g);
    let qa = br_cp[k * (D + 1u) + D];
    dq += pg.dqq * wj * qa;
    if (d > 0.0 && pg.dd != 0.0) {
      let f = pg.dd * wj * qj * qa / d;
      for (var c = 0u; c < D; c++) { br_dx[j * D + c] += f * (br_x[j * D + c] - br_cp[k * (D + 1u) + c]); }
    }
  }
  br_dq[j] = dq;
  br_db[j] = 0.0;  // coward and noise terms are added by oc_scatter_cp and oc_beta_grad
}

// ---- backward, columns: one thread per object (its condensation point's share) -----------
@group(0) @binding(2) var<storage, read> bc_beta: array<f32>;
@group(0) @binding(3) var<storage, read> bc_x: array<f32>;
@group(0) @binding(4) var<storage, read> bc_w: array<f32>;
@group(0) @binding(5) var<storage, read> bc_cp: array<f32>;
@group(0) @binding(6) var<storage, read> bc_dist: array<f32>;
@group(0) @binding(7) var<storage, read> bc_g: array<f32>;
@group(0) @binding(8) var<storage, read_write> bc_out: array<f32>;  // [K, D+1]

@compute @workgroup_size(64)
fn oc_dense_backward_cols(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * 64u;
  if (k >= p.k) { return; }
  let D = p.d;
  let g = vec4<f32>(bc_g[0], bc_g[1], bc_g[2], bc_g[3]);
  let ev = obj_event(k);
  let qa = bc_cp[k * (D + 1u) + D];
  let o = k * (D + 1u);
  for (var c = 0u; c < D; c++) { bc_out[o + c] = 0.0; }
  var dqa = 0.0;
  for (var j = ev_hit_start(ev); j < ev_hit_end(ev); j++) {
    let d = bc_dist[j * p.k + k];
    let pg = pair_grad(j, k, d, g);
    var wq = charge(bc_beta[j]);
    if ((p.flags & F_WEIGHTS) != 0u) { wq *= bc_w[j]; }
    dqa += pg.dqq * wq;
    if (d > 0.0 && pg.dd != 0.0) {
      let f = -pg.dd * wq * qa / d;
      for (var c = 0u; c < D; c++) { bc_out[o + c] += f * (bc_x[j * D + c] - bc_cp[o + c]); }
    }
  }
  bc_out[o + D] = dqa;
}
