/** Upstream's create_linear_block and LinearStack. */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Module } from '../module';
import { optionWord } from './config';
import { ModuleListOf } from './containers';
import { GRUBlock } from './gruBlock';
import { BasicBlock, GatedBlock, ResNetBlock } from './linearBlocks';

type F = Tensor<'f32'>;

export interface LinearBlock extends Module {
  forward(x: F, sequenceMask: F): F;
}

/** By linear_block_type as upstream reads it; an unknown word is upstream's Basic block. */
export function createLinearBlock(
  engine: Engine,
  options: SpanetOptions,
  inputDim: number,
  outputDim: number,
  skip: boolean,
  rand: () => number,
): LinearBlock {
  switch (optionWord(options, 'linear_block_type')) {
    case 'gru':
      return new GRUBlock(engine, options, inputDim, outputDim, skip, rand);
    case 'resnet':
      return new ResNetBlock(engine, options, inputDim, outputDim, skip, rand);
    case 'gated':
      return new GatedBlock(engine, options, inputDim, outputDim, skip, rand);
    default:
      return new BasicBlock(engine, options, inputDim, outputDim, skip, rand);
  }
}

/** num_layers blocks hidden → hidden (upstream's LinearIdentity when 0). */
export class LinearStack extends Module {
  readonly blocks: LinearBlock[] = [];
  constructor(engine: Engine, options: SpanetOptions, numLayers: number, hiddenDim: number, skip: boolean, rand: () => number) {
    super(engine);
    if (numLayers > 0) {
      const list = this.registerModule('layers', new ModuleListOf(engine));
      for (let i = 0; i < numLayers; i++) this.blocks.push(list.add(createLinearBlock(engine, options, hiddenDim, hiddenDim, skip, rand)));
    }
  }
  forward(x: F, sequenceMask: F): F {
    return this.blocks.reduce((y, b) => b.forward(y, sequenceMask), x);
  }
}
