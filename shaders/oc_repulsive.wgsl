// Object condensation, fused ("tiger") repulsive term: never builds the N×K distance matrix.
// Forward and the hit-side backward loop, per hit, over the condensation points of its event
// staged in workgroup tiles; the condensation-point-side backward loops over hits per point
// in chunks whose partial sums are added by a deterministic reduction. Distances are
// recomputed each time, so memory is O(N + K). Prefixed with oc_common.wgsl.

var<workgroup> tile_x: array<f32, 2048>;  // TILE × MAXD coordinates of condensation points
var<workgroup> tile_c: array<f32, 64>;    // q_alpha / (N_e - n_k + eps) per point

// The shared part of the pair loop: which condensation points the workgroup's hits need.
struct HitRange { j0: u32, k_lo: u32, k_hi: u32 }

fn workgroup_points(wg_index: u32) -> HitRange {
  let j0 = wg_index * 64u;
  let first = min(j0, p.n - 1u);
  let last = min(j0 + 63u, p.n - 1u);
  return HitRange(j0, ev_obj_start(hit_event(first)), ev_obj_end(hit_event(last)));
}

// ---- forward ---------------------------------------------------------------------------
@group(0) @binding(2) var<storage, read> rf_beta: array<f32>;
@group(0) @binding(3) var<storage, read> rf_x: array<f32>;
@group(0) @binding(4) var<storage, read> rf_w: array<f32>;
@group(0) @binding(5) var<storage, read> rf_cp: array<f32>;         // [K, D+1]
@group(0) @binding(6) var<storage, read> rf_nrep: array<u32>;       // [1], read when sampling
@group(0) @binding(7) var<storage, read_write> rf_rep: array<f32>;  // [N] per-hit repulsive sum
@group(0) @binding(8) var<storage, read_write> rf_count: array<u32>; // [N] pairs with d < 1

@compute @workgroup_size(64)
fn oc_rep_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>) {
  let D = p.d;
  let r = workgroup_points(wg.x + wg.y * nwg.x);
  let j = r.j0 + lid.x;
  let valid = j < p.n;
  let jj = min(j, p.n - 1u);
  let ev = hit_event(jj);
  let ks = ev_obj_start(ev);
  let ke = ev_obj_end(ev);
  let own = hit_obj(jj);
  var xj: array<f32, 32>;
  for (var c = 0u; c < D; c++) { xj[c] = rf_x[jj * D + c]; }
  let nrep = rf_nrep[0];
  let sample = (p.flags & F_SAMPLE) != 0u && nrep > p.max_n_rep;
  var prob = 1.0;
  if (sample) { prob = f32(p.max_n_rep) / f32(nrep); }
  var acc = 0.0;
  var count = 0u;
  for (var base = r.k_lo; base < r.k_hi; base += TILE) {
    let cnt = min(TILE, r.k_hi - base);
    for (var i = lid.x; i < cnt * D; i += 64u) {
      let t = i / D;
      tile_x[t * MAXD + i % D] = rf_cp[(base + t) * (D + 1u) + i % D];
    }
    if (lid.x < cnt) {
      let k = base + lid.x;
      tile_c[lid.x] = rf_cp[k * (D + 1u) + D] / (ev_hits(obj_event(k)) - obj_size(k) + EPS);
    }
    workgroupBarrier();
    if (valid) {
      for (var t = 0u; t < cnt; t++) {
        let k = base + t;
        if (k < ks || k >= ke || i32(k) == own) { continue; }
        var d2 = 0.0;
        for (var c = 0u; c < D; c++) {
          let dd = xj[c] - tile_x[t * MAXD + c];
          d2 += dd * dd;
        }
        let d = sqrt(d2);
        if (d < 1.0) {
          count++;
          if (!sample) {
            acc += tile_c[t] * (1.0 - d);
          } else if (pair_uniform(j, k) < prob) {
            acc += tile_c[t] * (1.0 - d) / prob;
          }
        }
      }
    }
    workgroupBarrier();
  }
  if (valid) {
    var wj = 1.0;
    if ((p.flags & F_WEIGHTS) != 0u) { wj = rf_w[j]; }
    rf_rep[j] = wj * charge(rf_beta[j]) * acc;  // divided by K_e in oc_event_terms
    rf_count[j] = count;
  }
}

// ---- backward, hit side: d/dx_j and d/dq_j; zeroes the direct beta gradient -------------
@group(0) @binding(2) var<storage, read> rh_beta: array<f32>;
@group(0) @binding(3) var<storage, read> rh_x: array<f32>;
@group(0) @binding(4) var<storage, read> rh_w: array<f32>;
@group(0) @binding(5) var<storage, read> rh_cp: array<f32>;
@group(0) @binding(6) var<storage, read> rh_nrep: array<u32>;
@group(0) @binding(7) var<storage, read> rh_g: array<f32>;           // [4] upstream gradient
@group(0) @binding(8) var<storage, read_write> rh_dx: array<f32>;    // [N, D] written
@group(0) @binding(9) var<storage, read_write> rh_dq: array<f32>;    // [N] written
@group(0) @binding(10) var<storage, read_write> rh_db: array<f32>;   // [N] written

@compute @workgroup_size(64)
fn oc_rep_backward_hits(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                        @builtin(local_invocation_id) lid: vec3<u32>) {
  let D = p.d;
  let r = workgroup_points(wg.x + wg.y * nwg.x);
  let j = r.j0 + lid.x;
  let valid = j < p.n;
  let jj = min(j, p.n - 1u);
  let ev = hit_event(jj);
  let ks = ev_obj_start(ev);
  let ke = ev_obj_end(ev);
  let own = hit_obj(jj);
  var xj: array<f32, 32>;
  var gx: array<f32, 32>;
  for (var c = 0u; c < D; c++) { xj[c] = rh_x[jj * D + c]; gx[c] = 0.0; }
  let nrep = rh_nrep[0];
  let sample = (p.flags & F_SAMPLE) != 0u && nrep > p.max_n_rep;
  var prob = 1.0;
  if (sample) { prob = f32(p.max_n_rep) / f32(nrep); }
  var s = 0.0;
  for (var base = r.k_lo; base < r.k_hi; base += TILE) {
    let cnt = min(TILE, r.k_hi - base);
    for (var i = lid.x; i < cnt * D; i += 64u) {
      let t = i / D;
      tile_x[t * MAXD + i % D] = rh_cp[(base + t) * (D + 1u) + i % D];
    }
    if (lid.x < cnt) {
      let k = base + lid.x;
      tile_c[lid.x] = rh_cp[k * (D + 1u) + D] / (ev_hits(obj_event(k)) - obj_size(k) + EPS);
    }
    workgroupBarrier();
    if (valid) {
      for (var t = 0u; t < cnt; t++) {
        let k = base + t;
        if (k < ks || k >= ke || i32(k) == own) { continue; }
        var d2 = 0.0;
        for (var c = 0u; c < D; c++) {
          let dd = xj[c] - tile_x[t * MAXD + c];
          d2 += dd * dd;
        }
        let d = sqrt(d2);
        if (d < 1.0) {
          var wt = tile_c[t];
          if (sample) { wt = select(0.0, wt / prob, pair_uniform(j, k) < prob); }
          s += wt * (1.0 - d);
          if (d > 0.0) {  // the hinge's gradient is taken as 0 at d = 0, as torch.cdist does
            let f = wt / d;
            for (var c = 0u; c < D; c++) { gx[c] += f * (xj[c] - tile_x[t * MAXD + c]); }
          }
        }
      }
    }
    workgroupBarrier();
  }
  if (valid) {
    var wj = 1.0;
    if ((p.flags & F_WEIGHTS) != 0u) { wj = rh_w[j]; }
    let ge = rh_g[1] / (ev_objects(ev) * f32(p.e));
    let qj = charge(rh_beta[j]);
    for (var c = 0u; c < D; c++) { rh_dx[j * D + c] = -ge * wj * qj * gx[c]; }
    rh_dq[j] = ge * wj * s;
    rh_db[j] = 0.0;  // coward and noise terms are added by oc_scatter_cp and oc_beta_grad
  }
}

// ---- backward, condensation-point side: one thread per (point, chunk of its event's hits) --
@group(0) @binding(2) var<storage, read> rc_beta: array<f32>;
@group(0) @binding(3) var<storage, read> rc_x: array<f32>;
@group(0) @binding(4) var<storage, read> rc_w: array<f32>;
@group(0) @binding(5) var<storage, read> rc_cp: array<f32>;
@group(0) @binding(6) var<storage, read> rc_nrep: array<u32>;
@group(0) @binding(7) var<storage, read> rc_g: array<f32>;
@group(0) @binding(8) var<storage, read_write> rc_part: array<f32>;  // [chunks, K, D+1]

@compute @workgroup_size(64)
fn oc_rep_backward_points(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let chunk = gid.y;
  if (k >= p.k) { return; }
  let D = p.d;
  let ev = obj_event(k);
  let hs = ev_hit_start(ev);
  let he = ev_hit_end(ev);
  let j_lo = hs + chunk * p.chunk;
  let j_hi = min(he, j_lo + p.chunk);
  let nrep = rc_nrep[0];
  let sample = (p.flags & F_SAMPLE) != 0u && nrep > p.max_n_rep;
  var prob = 1.0;
  if (sample) { prob = f32(p.max_n_rep) / f32(nrep); }
  var xa: array<f32, 32>;
  var ax: array<f32, 32>;
  for (var c = 0u; c < D; c++) { xa[c] = rc_cp[k * (D + 1u) + c]; ax[c] = 0.0; }
  var aq = 0.0;
  for (var j = j_lo; j < j_hi; j++) {
    if (hit_obj(j) == i32(k)) { continue; }
    var d2 = 0.0;
    for (var c = 0u; c < D; c++) {
      let dd = rc_x[j * D + c] - xa[c];
      d2 += dd * dd;
    }
    let d = sqrt(d2);
    if (d < 1.0) {
      var wq = charge(rc_beta[j]);
      if ((p.flags & F_WEIGHTS) != 0u) { wq *= rc_w[j]; }
      if (sample) { wq = select(0.0, wq / prob, pair_uniform(j, k) < prob); }
      aq += wq * (1.0 - d);
      if (d > 0.0) {
        let f = wq / d;
        for (var c = 0u; c < D; c++) { ax[c] += f * (rc_x[j * D + c] - xa[c]); }
      }
    }
  }
  let norm = rc_g[1] / (ev_objects(ev) * f32(p.e) * (ev_hits(ev) - obj_size(k) + EPS));
  let qa = rc_cp[k * (D + 1u) + D];
  let o = (chunk * p.k + k) * (D + 1u);
  for (var c = 0u; c < D; c++) { rc_part[o + c] = norm * qa * ax[c]; }
  rc_part[o + D] = norm * aq;
}
