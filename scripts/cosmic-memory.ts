/**
 * GPU memory of one U-ResNet training step (cosmic task), from the buffer pool's accounting:
 * parameters + Adam moments + the buffers the recorded forward, loss, metrics, backward and
 * update hold at their peak (kernel-written buffers are reused within the step once freed;
 * backward frees each intermediate gradient as soon as it is consumed). The step is recorded but never submitted: the figure does not need the GPU to run it.
 *
 *   npx tsx --import ./scripts/raw-loader.mjs scripts/cosmic-memory.ts '{"imageSize":256,"downsample":0}'
 */
import { nodeGpuContext } from '../src/gpu/node';
import { Engine } from '../src/tensor/engine';
import { cosmicTaggingTask } from '../src/tasks/cosmic/task';
import { Adam } from '../src/train/adam';

const over = JSON.parse(process.argv[2] ?? '{}');
const e = new Engine(await nodeGpuContext());
const config = { ...cosmicTaggingTask.defaults, trainEvents: over.batchSize ?? 1, testEvents: 1, batchSize: 1, ...over };
const run = await cosmicTaggingTask.create(e, config);
const opt = new Adam(e, run.parameters());
const before = e.gpu.pool.getStats();
e.scope(() => {
  const tape = e.beginTape();
  const out = run.trainStep(0);
  tape.backward(out.loss);
  e.endTape();
  opt.update();
});
const s = e.gpu.pool.getStats();
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  JSON.stringify({
    config: over,
    describe: run.describe(),
    persistentMiB: mib(before.inUseBytes),
    stepPeakMiB: mib(s.peakInUseBytes),
    largestBindingLimitMiB: mib(e.gpu.adapter.limits.maxStorageBufferBindingSize ?? 0),
  }),
);
process.exit(0);
