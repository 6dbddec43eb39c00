// Plain data about the task (no engine imports): the page's catalogue shows it and task.ts builds on it.
import type { TaskSpec } from '../types';

export interface ToyConfig extends Record<string, number | string | boolean> {
  trainSize: number;
  testSize: number;
  batchSize: number;
  hidden: number;
  layers: number;
  activation: string;
  seed: number;
}

export const toySpec: TaskSpec<ToyConfig> = {
  id: 'toy-mlp',
  label: 'MLP regression (engine demo)',
  description: 'An MLP learns y = sin(2x₀) + x₁² + ½x₀x₁ from noisy samples. Exercises matmul, activations, MSE and Adam.',
  defaults: { trainSize: 2048, testSize: 512, batchSize: 256, hidden: 64, layers: 3, activation: 'gelu', seed: 1 },
  fields: [
    { key: 'trainSize', label: 'training samples', kind: 'int', min: 16, max: 1_000_000 },
    { key: 'testSize', label: 'test samples', kind: 'int', min: 16, max: 100_000 },
    { key: 'batchSize', label: 'batch size', kind: 'int', min: 1, max: 65536 },
    { key: 'hidden', label: 'hidden width', kind: 'int', min: 1, max: 4096 },
    { key: 'layers', label: 'hidden layers', kind: 'int', min: 1, max: 16 },
    { key: 'activation', label: 'activation', kind: 'select', options: ['relu', 'gelu', 'tanh', 'sigmoid'] },
    { key: 'seed', label: 'seed', kind: 'int', min: 0 },
  ],
  optimizer: { lr: 3e-3 },
};
