// Plain data about the task (no engine imports): the page's catalogue shows it and task.ts builds on it.
import type { TaskSpec } from '../types';

export interface DeepSetsConfig extends Record<string, number | string | boolean> {
  pool: string;
  phiWidth: number;
  phiDepth: number;
  rhoWidth: number;
  rhoDepth: number;
  activation: string;
  head: string;
  batchCapacity: number;
  trainSets: number;
  testSets: number;
  seed: number;
}

export const deepSetsSpec: TaskSpec<DeepSetsConfig> = {
  id: 'deepsets',
  label: 'Deep Sets (variable-size sets)',
  description:
    'ρ(pool φ(xᵢ)) on sets of varying size, packed into fixed-capacity blocks and pooled by segment ops over CSR offsets. ' +
    'Built-in data: the toy problem y = log(1 + |Σ xᵢ₀² + 3xᵢ₁|) with set sizes up to 401; or sets from a loaded file.',
  defaults: {
    pool: 'sum',
    phiWidth: 128,
    phiDepth: 3,
    rhoWidth: 128,
    rhoDepth: 3,
    activation: 'relu',
    head: 'regression',
    batchCapacity: 8192,
    trainSets: 100,
    testSets: 100,
    seed: 1,
  },
  fields: [
    { key: 'pool', label: 'pooling', kind: 'select', options: ['sum', 'mean', 'max'] },
    { key: 'phiWidth', label: 'φ width', kind: 'int', min: 1, max: 4096 },
    { key: 'phiDepth', label: 'φ layers', kind: 'int', min: 1, max: 16 },
    { key: 'rhoWidth', label: 'ρ width', kind: 'int', min: 1, max: 4096 },
    { key: 'rhoDepth', label: 'ρ hidden layers', kind: 'int', min: 0, max: 16 },
    { key: 'activation', label: 'activation', kind: 'select', options: ['relu', 'gelu', 'tanh', 'sigmoid'] },
    {
      key: 'head',
      label: 'head',
      kind: 'select',
      options: ['regression', 'classification'],
      hideWhenFile: true,
      help: 'Built-in data: regression on the target, or classification of target > median. File data decides by its target type.',
    },
    {
      key: 'batchCapacity',
      label: 'block capacity (elements)',
      kind: 'int',
      min: 1,
      max: 4_194_304,
      help: 'element rows per packed block; raised to the largest set if smaller',
    },
    { key: 'trainSets', label: 'training sets', kind: 'int', min: 1, max: 1_000_000 },
    { key: 'testSets', label: 'test sets', kind: 'int', min: 1, max: 1_000_000 },
    { key: 'seed', label: 'seed', kind: 'int', min: 0 },
  ],
  optimizer: { lr: 1e-3 },
};
