import { moduleWeights } from '../../nn/namedWeights';
import { seededRandom } from '../../nn/init';
import { Mlp } from '../../nn/mlp';
import type { Engine } from '../../tensor/engine';
import type { Activation } from '../../tensor/kernels';
import { mse } from '../../tensor/ops/losses';
import type { Tensor } from '../../tensor/tensor';
import type { TaskDefinition, TaskRun } from '../types';
import { toyRegression } from './data';
import { toySpec, type ToyConfig } from './spec';
export type { ToyConfig } from './spec';

/** The engine's own demo: an MLP regressing a smooth 2-D function; shows the whole loop works. */
export const toyRegressionTask: TaskDefinition<ToyConfig> = {
  ...toySpec,
  create: (engine, config) => new ToyRegressionRun(engine, config),
};

class ToyRegressionRun implements TaskRun {
  private mlp: Mlp;
  private batches: { x: Tensor<'f32'>; y: Tensor<'f32'> }[] = [];
  private test: { x: Tensor<'f32'>; y: Tensor<'f32'>; yHost: Float32Array; xHost: Float32Array };

  constructor(
    private engine: Engine,
    private config: ToyConfig,
  ) {
    const { trainSize, testSize, batchSize, hidden, layers, seed } = config;
    const sizes = [2, ...Array(layers).fill(hidden), 1];
    this.mlp = new Mlp(engine, { sizes, activation: config.activation as Activation }, seededRandom(seed));
    const train = toyRegression(trainSize, seed + 1);
    // Fixed-size batches, uploaded once: no host traffic inside the training loop.
    for (let start = 0; start + batchSize <= trainSize; start += batchSize) {
      this.batches.push({
        x: engine.fromArray(train.x.subarray(2 * start, 2 * (start + batchSize)), [batchSize, 2]).keep(),
        y: engine.fromArray(train.y.subarray(start, start + batchSize), [batchSize, 1]).keep(),
      });
    }
    if (!this.batches.length) throw new Error(`batch size ${batchSize} exceeds the ${trainSize} training samples`);
    const test = toyRegression(testSize, seed + 2);
    this.test = {
      x: engine.fromArray(test.x, [testSize, 2]).keep(),
      y: engine.fromArray(test.y, [testSize, 1]).keep(),
      xHost: test.x,
      yHost: test.y,
    };
  }

  parameters() {
    return this.mlp.parameters();
  }

  batchesPerEpoch() {
    return this.batches.length;
  }

  trainStep(step: number) {
    const b = this.batches[step % this.batches.length];
    return { loss: mse(this.mlp.forward(b.x), b.y) };
  }

  async evaluate() {
    const pred = this.engine.scope(() => this.mlp.forward(this.test.x));
    const loss = this.engine.scope(() => mse(pred, this.test.y));
    const [p, l] = await Promise.all([pred.read(), loss.item()]);
    pred.dispose();
    loss.dispose();
    return {
      scalars: { loss: l },
      figures: [
        {
          id: 'pred-vs-truth',
          title: 'prediction vs truth (test set)',
          kind: 'scatter' as const,
          x: Array.from(this.test.yHost),
          y: Array.from(p),
          xLabel: 'truth',
          yLabel: 'prediction',
          diagonal: true,
        },
      ],
    };
  }

  get model() {
    return this.mlp;
  }

  namedWeights() {
    return moduleWeights(this.mlp);
  }

  describe() {
    const { trainSize, testSize, batchSize } = this.config;
    return `${trainSize} train / ${testSize} test samples, ${this.batches.length} batches of ${batchSize}`;
  }

  dispose() {
    this.mlp.dispose();
    for (const t of [...this.batches.flatMap((b) => [b.x, b.y]), this.test.x, this.test.y]) t.dispose();
  }
}
