/**
 * Upstream's gated transformer (transformer_type "Gated", GTrXL): per layer
 * LayerNorm → self-attention with key padding → GRU gate against the layer input → GRU block.
 */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { MultiheadAttention } from '../layers/attention';
import { LayerNorm } from '../layers/layerNorm';
import { Module } from '../module';
import { optionInt } from './config';
import { ModuleListOf } from './containers';
import { dropoutRate, dropoutSeed } from './dropout';
import { GRUBlock, GRUGate } from './gruBlock';

type F = Tensor<'f32'>;

export class GTrXL extends Module {
  readonly attentionNorm: LayerNorm;
  readonly attentionGate: GRUGate;
  readonly attention: MultiheadAttention;
  readonly feedForward: GRUBlock;
  constructor(engine: Engine, options: SpanetOptions, hiddenDim: number, numHeads: number, rand: () => number) {
    super(engine);
    // dropout on the attention probabilities (torch's MultiheadAttention dropout), own masks per layer
    const p = dropoutRate(options);
    this.attentionNorm = this.registerModule('attention_norm', new LayerNorm(engine, hiddenDim));
    this.attentionGate = this.registerModule('attention_gate', new GRUGate(engine, hiddenDim, rand));
    this.attention = this.registerModule(
      'attention',
      new MultiheadAttention(engine, hiddenDim, numHeads, rand, { dropout: p, seed: dropoutSeed(p, rand) }),
    );
    this.feedForward = this.registerModule('feed_forward', new GRUBlock(engine, options, hiddenDim, hiddenDim, true, rand));
  }
  /** x [T, B, D], paddingMask [B, T] (1 = padding), sequenceMask [T, B, 1] (1 = real). */
  forward(x: F, paddingMask: F, sequenceMask: F): F {
    const normed = this.attentionNorm.forward(x);
    const attended = this.attention.forward(normed, normed, normed, { keyPaddingMask: paddingMask });
    return this.feedForward.forward(this.attentionGate.forward(attended, x), sequenceMask);
  }
}

/** GatedTransformer: num_layers GTrXL layers (create_transformer picks it). */
export class GatedTransformer extends Module {
  readonly layers: GTrXL[] = [];
  constructor(engine: Engine, options: SpanetOptions, numLayers: number, rand: () => number) {
    super(engine);
    const list = this.registerModule('layers', new ModuleListOf(engine));
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(
        list.add(new GTrXL(engine, options, optionInt(options, 'hidden_dim'), optionInt(options, 'num_attention_heads'), rand)),
      );
    }
  }
  forward(x: F, paddingMask: F, sequenceMask: F): F {
    return this.layers.reduce((y, l) => l.forward(y, paddingMask, sequenceMask), x);
  }
}
