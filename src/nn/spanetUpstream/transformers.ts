/**
 * Upstream's create_transformer: the gated (GTrXL) layers, torch's TransformerEncoder
 * post-norm ("Standard") or pre-norm ("NormFirst") followed by the masking, or the identity
 * (TransformerBase) for 0 layers or an unknown word, as upstream.
 */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { TransformerEncoderLayer } from '../layers/transformer';
import { Module } from '../module';
import { optionInt, optionWord, requireWord } from './config';
import { ModuleListOf } from './containers';
import { dropoutRate, dropoutSeed } from './dropout';
import { GatedTransformer } from './gatedTransformer';
import { applyMasking, MASKINGS } from './gruBlock';

type F = Tensor<'f32'>;

export interface Transformer extends Module {
  /** x [T, B, D], paddingMask [B, T] (1 = padding), sequenceMask [T, B, 1] (1 = real). */
  forward(x: F, paddingMask: F, sequenceMask: F): F;
}

class IdentityTransformer extends Module {
  forward(x: F): F {
    return x;
  }
}

/** nn.TransformerEncoder(layer, num_layers): state under `layers.<i>` (its norm is None). */
class TorchEncoder extends Module {
  readonly layers: TransformerEncoderLayer[] = [];
  constructor(engine: Engine, options: SpanetOptions, numLayers: number, normFirst: boolean, rand: () => number) {
    super(engine);
    const hidden = optionInt(options, 'hidden_dim');
    const activation = requireWord(options, 'transformer_activation', ['relu', 'gelu']) as 'relu' | 'gelu';
    const list = this.registerModule('layers', new ModuleListOf(engine));
    // torch's layer drops the attention probabilities, its output, the feed-forward hidden and output
    const p = dropoutRate(options);
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(
        list.add(
          new TransformerEncoderLayer(engine, hidden, optionInt(options, 'num_attention_heads'), rand, {
            dimFeedforward: Math.round(Number(options.transformer_dim_scale) * hidden),
            dropout: p,
            seed: dropoutSeed(p, rand),
            activation,
            normFirst,
          }),
        ),
      );
    }
  }
}

class TorchTransformer extends Module {
  readonly transformer: TorchEncoder;
  private readonly masking: string;
  constructor(engine: Engine, options: SpanetOptions, numLayers: number, normFirst: boolean, rand: () => number) {
    super(engine);
    this.masking = requireWord(options, 'masking', MASKINGS);
    this.transformer = this.registerModule('transformer', new TorchEncoder(engine, options, numLayers, normFirst, rand));
  }
  forward(x: F, paddingMask: F, sequenceMask: F): F {
    const y = this.transformer.layers.reduce((h, l) => l.forward(h, { srcKeyPaddingMask: paddingMask }), x);
    return applyMasking(this.masking, y, sequenceMask);
  }
}

export function createTransformer(engine: Engine, options: SpanetOptions, numLayers: number, rand: () => number): Transformer {
  if (numLayers <= 0) return new IdentityTransformer(engine);
  switch (optionWord(options, 'transformer_type')) {
    case 'gated':
    case 'gtrxl':
      return new GatedTransformer(engine, options, numLayers, rand);
    case 'standard':
      return new TorchTransformer(engine, options, numLayers, false, rand);
    case 'normfirst':
      return new TorchTransformer(engine, options, numLayers, true, rand);
    default:
      return new IdentityTransformer(engine);
  }
}
