/**
 * Upstream's input embedding: per input (file order) Normalizer → embedding stack of GRU
 * blocks (initial_embedding_dim, doubling, then hidden_dim) → position embedding appended;
 * all inputs concatenated along the vector axis, then one GRU block to hidden_dim.
 * A GLOBAL input is a one-vector sequential input whose vectors are not assignment targets.
 */
import type { Engine } from '../../tensor/engine';
import { div } from '../../tensor/ops/broadcast';
import { mul, sub } from '../../tensor/ops/elementwise';
import { concat, transpose } from '../../tensor/ops/shape';
import type { Tensor } from '../../tensor/tensor';
import type { InputSpec } from '../../tasks/spanet/eventSpec';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Module } from '../module';
import { optionBool, optionInt } from './config';
import { ModuleListOf } from './containers';
import { createLinearBlock, type LinearBlock } from './linearStack';
import { VectorMasks } from './masks';
import { expandRows, normalDraws } from './stackedEncoder';

type F = Tensor<'f32'>;

/** One input's vectors as the dataset gives them: data [B, T, I], mask [B, T] (non-zero = real). */
export interface SourceInput {
  data: F;
  mask: ArrayLike<number>;
}

class Normalizer extends Module {
  readonly mean: F;
  readonly std: F;
  constructor(engine: Engine, dim: number) {
    super(engine);
    // Upstream's nn.Parameter(requires_grad=False), set from the training data: state, not trained.
    this.mean = this.registerBuffer('mean', engine.fromArray(new Float32Array(dim), [dim]));
    this.std = this.registerBuffer('std', engine.fromArray(new Float32Array(dim).fill(1), [dim]));
  }
  /** data [B, T, I], mask [B, T, 1]. */
  forward(data: F, mask: F): F {
    return mul(div(sub(data, this.mean), this.std), mask);
  }
}

class EmbeddingStack extends Module {
  readonly blocks: LinearBlock[] = [];
  constructor(engine: Engine, options: SpanetOptions, inputDim: number, rand: () => number) {
    super(engine);
    const list = this.registerModule('embedding_layers', new ModuleListOf(engine));
    const skip = optionBool(options, 'initial_embedding_skip_connections');
    const hidden = optionInt(options, 'hidden_dim');
    let dim = optionInt(options, 'initial_embedding_dim');
    this.blocks.push(list.add(createLinearBlock(engine, options, inputDim, dim, skip, rand)));
    for (let i = 0; i < optionInt(options, 'num_embedding_layers'); i++) {
      if (2 * dim >= hidden) break;
      this.blocks.push(list.add(createLinearBlock(engine, options, dim, 2 * dim, skip, rand)));
      dim *= 2;
    }
    this.blocks.push(list.add(createLinearBlock(engine, options, dim, hidden, skip, rand)));
  }
  forward(x: F, sequenceMask: F): F {
    return this.blocks.reduce((y, b) => b.forward(y, sequenceMask), x);
  }
}

/** SequentialVectorEmbedding (state under `embedding_stack`). */
class SequentialVectorEmbedding extends Module {
  readonly stack: EmbeddingStack;
  constructor(engine: Engine, options: SpanetOptions, inputDim: number, rand: () => number) {
    super(engine);
    this.stack = this.registerModule('embedding_stack', new EmbeddingStack(engine, options, inputDim, rand));
  }
  /** vectors [B, T, I] → [T, B, D]. */
  forward(vectors: F, sequenceMask: F): F {
    return this.stack.forward(transpose(vectors, 0, 1), sequenceMask);
  }
}

/** GlobalVectorEmbedding wraps the sequential one (state under `embedding`). */
class GlobalVectorEmbedding extends Module {
  readonly inner: SequentialVectorEmbedding;
  constructor(engine: Engine, options: SpanetOptions, inputDim: number, rand: () => number) {
    super(engine);
    this.inner = this.registerModule('embedding', new SequentialVectorEmbedding(engine, options, inputDim, rand));
  }
  forward(vectors: F, sequenceMask: F): F {
    return this.inner.forward(vectors, sequenceMask);
  }
}

class PositionEmbedding extends Module {
  readonly value: F;
  constructor(engine: Engine, dim: number, rand: () => number) {
    super(engine);
    this.value = this.parameter('position_embedding', normalDraws(dim, rand), [1, 1, dim]);
  }
  forward(x: F): F {
    return concat([x, expandRows(this.engine, this.value, x.shape[0], x.shape[1])], 2);
  }
}

class CombinedVectorEmbedding extends Module {
  readonly vectorEmbeddings: SequentialVectorEmbedding | GlobalVectorEmbedding;
  readonly position: PositionEmbedding;
  readonly normalizer: Normalizer | null;
  constructor(
    engine: Engine,
    options: SpanetOptions,
    readonly input: InputSpec,
    rand: () => number,
  ) {
    super(engine);
    const dim = input.features.length;
    if (input.kind === 'relative') throw new Error(`upstream SPANet network: RELATIVE input ${input.name} is not implemented`);
    this.vectorEmbeddings = this.registerModule(
      'vector_embeddings',
      input.kind === 'global'
        ? new GlobalVectorEmbedding(engine, options, dim, rand)
        : new SequentialVectorEmbedding(engine, options, dim, rand),
    );
    this.position = this.registerModule(
      'position_embedding',
      new PositionEmbedding(engine, optionInt(options, 'position_embedding_dim'), rand),
    );
    this.normalizer = this.registerModule('normalizer', optionBool(options, 'normalize_features') ? new Normalizer(engine, dim) : null);
  }
  forward(source: SourceInput, masks: VectorMasks): F {
    const e = this.engine;
    const [B, T] = source.data.shape;
    const data = this.normalizer
      ? this.normalizer.forward(
          source.data,
          e.fromArray(
            Float32Array.from(source.mask, (m) => (m ? 1 : 0)),
            [B, T, 1],
          ),
        )
      : source.data;
    return this.position.forward(this.vectorEmbeddings.forward(data, masks.sequenceTensor(e)));
  }
}

export interface EmbeddedInputs {
  /** [T, B, D] over every input's vectors in file order. */
  embeddings: F;
  masks: VectorMasks;
  /** Row indices of sequential vectors (upstream's global_mask true): the assignment targets. */
  sequentialRows: number[];
}

/** MultiInputVectorEmbedding. */
export class MultiInputVectorEmbedding extends Module {
  readonly inputs: CombinedVectorEmbedding[] = [];
  readonly finalLayer: LinearBlock;
  /** mask_sequence_vectors = false: upstream's sequence masks are all ones, its padding masks stay. */
  private readonly maskSequence: boolean;
  constructor(engine: Engine, options: SpanetOptions, inputs: InputSpec[], rand: () => number) {
    super(engine);
    this.maskSequence = optionBool(options, 'mask_sequence_vectors');
    const list = this.registerModule('vector_embedding_layers', new ModuleListOf(engine));
    for (const input of inputs) this.inputs.push(list.add(new CombinedVectorEmbedding(engine, options, input, rand)));
    const hidden = optionInt(options, 'hidden_dim');
    this.finalLayer = this.registerModule(
      'final_embedding_layer',
      createLinearBlock(
        engine,
        options,
        optionInt(options, 'position_embedding_dim') + hidden,
        hidden,
        optionBool(options, 'skip_connections'),
        rand,
      ),
    );
  }
  forward(sources: SourceInput[]): EmbeddedInputs {
    if (sources.length !== this.inputs.length)
      throw new Error(`upstream SPANet network: ${sources.length} sources for ${this.inputs.length} inputs`);
    const parts: F[] = [],
      masks: VectorMasks[] = [],
      sequentialRows: number[] = [];
    let row = 0;
    sources.forEach((s, i) => {
      const [B, T] = s.data.shape;
      const m = VectorMasks.fromBatchFirst(s.mask, B, T, this.maskSequence);
      parts.push(this.inputs[i].forward(s, m));
      masks.push(m);
      if (this.inputs[i].input.kind === 'sequential') for (let t = 0; t < T; t++) sequentialRows.push(row + t);
      row += T;
    });
    const all = VectorMasks.concat(masks);
    return { embeddings: this.finalLayer.forward(concat(parts, 0), all.sequenceTensor(this.engine)), masks: all, sequentialRows };
  }
}
