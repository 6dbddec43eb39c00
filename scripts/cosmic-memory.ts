/**
 * GPU memory of one U-ResNet training step (cosmic task), from the buffer pool's accounting:
 * parameters + Adam moments + the buffers the recorded forward, loss, metrics, backward and
 * update hold at their peak (kernel-written buffers are reused within the step once freed;
 * backward frees each intermediate gradient as soon as it is consumed). The step is recorded
 * but never submitted: the figure does not need the GPU to run it. `height`/`width` set a
 * non-square image (e.g. upstream's full 1280×2048) from blank planes; otherwise the task's
 * synthetic `imageSize` square is used. `run: true` also submits the step and times it (twice:
 * the second time is reported, after the pipelines are compiled).
 *
 *   npx tsx --import ./scripts/raw-loader.mjs scripts/cosmic-memory.ts '{"network":"uresnet","height":1280,"width":2048,"downsample":0}'
 */
import { nodeGpuContext } from '../src/gpu/node';
import { Engine } from '../src/tensor/engine';
import { cosmicTaggingTask } from '../src/tasks/cosmic/task';
import type { PlaneData } from '../src/tasks/cosmic/planes';
import { Adam } from '../src/train/adam';

const over = JSON.parse(process.argv[2] ?? '{}');
const e = new Engine(await nodeGpuContext());
const config = { ...cosmicTaggingTask.defaults, trainEvents: over.batchSize ?? 1, testEvents: 1, batchSize: 1, ...over };

/** Two blank events (one trains, one tests) with a few labelled pixels: the memory does not depend on the values. */
function blankPlanes(height: number, width: number, events: number): PlaneData {
  const n = events * 3 * height * width;
  const images = new Float32Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i += 9973) {
    images[i] = 1;
    labels[i] = 1 + (i % 2);
  }
  return { kind: 'planes', events, planes: 3, height, width, images, labels };
}
const data = over.height ? blankPlanes(over.height, over.width ?? over.height, (config.batchSize as number) + 1) : undefined;
const run = await cosmicTaggingTask.create(e, config, data as unknown as Record<string, unknown> | undefined);
const opt = new Adam(e, run.parameters());

// The largest single buffer the step asks for, against the binding limits a browser may give.
const pool = e.gpu.pool;
const acquire = pool.acquire.bind(pool);
let largest = 0;
pool.acquire = (bytes, usage, label, forUpload) => {
  largest = Math.max(largest, bytes);
  return acquire(bytes, usage, label, forUpload);
};

function step(): void {
  e.scope(() => {
    const tape = e.beginTape();
    const out = run.trainStep(0);
    tape.backward(out.loss);
    e.endTape();
    opt.update();
  });
}

const before = pool.getStats();
const t0 = performance.now();
step();
const recordMs = performance.now() - t0;
const s = pool.getStats();
let stepMs: number | undefined;
if (over.run) {
  await e.gpu.finish();
  const t1 = performance.now();
  step();
  await e.gpu.finish();
  stepMs = performance.now() - t1;
}
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  JSON.stringify({
    config: over,
    describe: run.describe(),
    persistentMiB: mib(before.inUseBytes),
    stepPeakMiB: mib(s.peakInUseBytes),
    largestBufferMiB: mib(largest),
    bindingLimitMiB: mib(e.gpu.device.limits.maxStorageBufferBindingSize),
    recordMs: Math.round(recordMs),
    ...(stepMs !== undefined ? { stepMs: Math.round(stepMs) } : {}),
  }),
);
process.exitCode = 0;
