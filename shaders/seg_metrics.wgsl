// Segmentation metrics from NCHW logits [N, C, HW] and labels [N, HW] (i32, negative or
// ≥ C = not counted). Prediction = argmax over classes (first maximum wins).
// 1) seg_confusion_partials: one thread per (image, chunk of pixels) counts its 3×3 (C×C)
//    confusion matrix [label, prediction]; launchReduce sums the chunks (integers below 2^24
//    are exact in f32, so the sums are exact for images up to 16M pixels).
// 2) seg_metrics_average: one thread turns the [N, C, C] counts into CosmicTagger's metrics
//    averaged over images and planes (the same rules as segMetricsFromConfusion in TS).

// nanEmpty = 1: an image without labelled pixels makes its plane's non-background accuracy
// and the average NaN (CosmicTagger's 0/0); 0: it is skipped. nanBits: a quiet NaN's bits
// from the host (a NaN constant is a WGSL compile error, and 0/0 may be folded away).
struct Params { N: u32, C: u32, HW: u32, chunk: u32, chunks: u32, P: u32, nanEmpty: u32, nanBits: u32 }

@group(0) @binding(0) var<uniform> p: Params;

const MAX_C: u32 = 8u;

@group(0) @binding(1) var<storage, read> clogits: array<f32>;
@group(0) @binding(2) var<storage, read> clabels: array<i32>;
@group(0) @binding(3) var<storage, read_write> cpart: array<f32>; // [N, chunks, C·C]

@compute @workgroup_size(256)
fn seg_confusion_partials(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.N * p.chunks) { return; }
  let n = t / p.chunks;
  let k = t % p.chunks;
  var counts = array<f32, 64>(); // MAX_C², zeroed explicitly (see seg_metrics_average)
  let start = k * p.chunk;
  let end = min(start + p.chunk, p.HW);
  for (var q = start; q < end; q++) {
    let y = clabels[n * p.HW + q];
    if (y < 0 || u32(y) >= p.C) { continue; }
    let base = n * p.C * p.HW + q;
    var best = 0u;
    var m = clogits[base];
    for (var c = 1u; c < p.C; c++) {
      let z = clogits[base + c * p.HW];
      if (z > m) { m = z; best = c; }
    }
    counts[u32(y) * p.C + best] += 1.0;
  }
  let out = (n * p.chunks + k) * p.C * p.C;
  for (var j = 0u; j < p.C * p.C; j++) { cpart[out + j] = counts[j]; }
}

// ---- averages: out = [accuracy, non-background accuracy, IoU of class 1 .. C-1, mIoU]
@group(0) @binding(1) var<storage, read> conf: array<f32>;
@group(0) @binding(2) var<storage, read_write> mout: array<f32>;

fn cell(n: u32, l: u32, q: u32) -> f32 { return conf[(n * p.C + l) * p.C + q]; }

@compute @workgroup_size(1)
fn seg_metrics_average() {
  let B = p.N / p.P;
  var acc = 0.0;
  var nonbg = 0.0;
  var nonbgPlanes = 0.0;
  var nonbgNan = false;
  // Explicit zero initialisers: SwiftShader did not re-zero an uninitialised array declared
  // inside a loop on every iteration.
  var iou = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0); // MAX_C
  for (var plane = 0u; plane < p.P; plane++) {
    var correct = 0.0;
    var total = 0.0;
    var nbSum = 0.0;
    var nbImages = 0.0;
    var planeIou = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (var b = 0u; b < B; b++) {
      let n = b * p.P + plane;
      var labelled = 0.0;
      var labelledCorrect = 0.0;
      for (var l = 0u; l < p.C; l++) {
        for (var q = 0u; q < p.C; q++) {
          let v = cell(n, l, q);
          total += v;
          if (l == q) { correct += v; }
          if (l != 0u) {
            labelled += v;
            if (l == q) { labelledCorrect += v; }
          }
        }
      }
      if (labelled > 0.0) { nbSum += labelledCorrect / labelled; nbImages += 1.0; }
      for (var c = 1u; c < p.C; c++) {
        var rowSum = 0.0;
        var colSum = 0.0;
        for (var j = 0u; j < p.C; j++) { rowSum += cell(n, c, j); colSum += cell(n, j, c); }
        let inter = cell(n, c, c);
        let uni = rowSum + colSum - inter;
        planeIou[c] += select(1.0, inter / uni, uni > 0.0);
      }
    }
    acc += select(1.0, correct / total, total > 0.0);
    if (p.nanEmpty == 1u && nbImages < f32(B)) { nonbgNan = true; }
    if (nbImages > 0.0) { nonbg += nbSum / nbImages; nonbgPlanes += 1.0; }
    for (var c = 1u; c < p.C; c++) { iou[c] += planeIou[c] / f32(B); }
  }
  let P = f32(p.P);
  mout[0] = acc / P;
  mout[1] = select(1.0, nonbg / nonbgPlanes, nonbgPlanes > 0.0);
  if (nonbgNan) { mout[1] = bitcast<f32>(p.nanBits); }
  var miou = 0.0;
  for (var c = 1u; c < p.C; c++) {
    mout[1u + c] = iou[c] / P;
    miou += iou[c] / P;
  }
  mout[p.C + 1u] = miou / f32(p.C - 1u);
}
