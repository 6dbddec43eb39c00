// Every WGSL file of the engine, imported as text (Vite `?raw`; the Node CLI gets the same
// through scripts/raw-loader.mjs).
import type { KernelSource } from './pipelineCache';
import elementwise from '../../shaders/elementwise.wgsl?raw';
import reduce from '../../shaders/reduce.wgsl?raw';
import mse from '../../shaders/mse.wgsl?raw';
import softmaxXent from '../../shaders/softmax_xent.wgsl?raw';
import adam from '../../shaders/adam.wgsl?raw';
import segment from '../../shaders/segment.wgsl?raw';
import broadcast from '../../shaders/broadcast.wgsl?raw';
import unary from '../../shaders/unary.wgsl?raw';
import { IMAGE_SHADERS } from './imageShaders';
import { SPANET_SHADERS } from './spanetShaders';
import { OC_SHADERS } from '../losses/oc/shaders';
import { ATTENTION_SHADERS } from './attentionShaders';
import { LAYER_SHADERS } from './layerShaders';
import { AXIS_SHADERS } from './axisShaders';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const SHADERS = {
  elementwise: k('elementwise.wgsl', elementwise),
  reduce: k('reduce.wgsl', reduce),
  mse: k('mse.wgsl', mse),
  softmaxXent: k('softmax_xent.wgsl', softmaxXent),
  adam: k('adam.wgsl', adam),
  segment: k('segment.wgsl', segment),
  broadcast: k('broadcast.wgsl', broadcast),
  unary: k('unary.wgsl', unary),
  ...IMAGE_SHADERS,
  ...SPANET_SHADERS,
  ...OC_SHADERS,
  ...ATTENTION_SHADERS,
  ...LAYER_SHADERS,
  ...AXIS_SHADERS,
} satisfies Record<string, KernelSource>;
