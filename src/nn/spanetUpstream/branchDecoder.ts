/**
 * Upstream's BranchDecoder for one event particle: its own StackedEncoder, the detection
 * head on the particle vector, split symmetric attention over the sequential vectors, and a
 * log-softmax over every tuple of distinct real vectors (−inf elsewhere).
 */
import type { Engine } from '../../tensor/engine';
import { indexSelect } from '../../tensor/ops/gather';
import { reshape } from '../../tensor/ops/reshape';
import { logSoftmax } from '../../tensor/ops/softmaxAxis';
import { maskedFill } from '../../tensor/ops/where';
import type { Tensor } from '../../tensor/tensor';
import type { ParticleSpec } from '../../tasks/spanet/eventSpec';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Module } from '../module';
import { optionBool, optionInt } from './config';
import { BranchLinear } from './branchLinear';
import type { VectorMasks } from './masks';
import { StackedEncoder } from './stackedEncoder';
import { SymmetricAttentionSplit } from './symmetricAttentionSplit';

type F = Tensor<'f32'>;

/** [B, N^degree] 1 where a tuple is not a valid assignment: a vector out of the sequence mask or a repeated one. */
export function invalidTuples(masks: VectorMasks, degree: number): Uint8Array {
  const { T: N, B } = masks;
  const size = N ** degree;
  const out = new Uint8Array(B * size);
  const idx = new Array<number>(degree);
  for (let b = 0; b < B; b++) {
    for (let f = 0; f < size; f++) {
      let r = f;
      for (let k = degree - 1; k >= 0; k--) {
        idx[k] = r % N;
        r = (r - idx[k]) / N;
      }
      const ok = idx.every((j, k) => masks.inSequence(j, b) && idx.indexOf(j) === k);
      out[b * size + f] = ok ? 0 : 1;
    }
  }
  return out;
}

export interface BranchOutput {
  /** [B, N, …, N] log-probabilities over the sequential vectors. */
  assignment: F;
  /** [B] logits. */
  detection: F;
  particle: F;
  daughters: F[];
}

export class BranchDecoder extends Module {
  readonly encoder: StackedEncoder;
  readonly attention: SymmetricAttentionSplit;
  readonly detectionClassifier: BranchLinear;
  readonly degree: number;
  constructor(
    engine: Engine,
    options: SpanetOptions,
    readonly particle: ParticleSpec,
    rand: () => number,
  ) {
    super(engine);
    this.degree = particle.products.length;
    // Upstream's full attention fails at 46c6805 (xavier init of a degree-1 weight; a bare
    // tensor where BranchDecoder unpacks two values), so there is nothing to be equal to.
    if (!optionBool(options, 'split_symmetric_attention')) {
      throw new Error(
        'upstream SPANet network: split_symmetric_attention = false (full attention) is not implemented (it fails upstream too)',
      );
    }
    this.encoder = this.registerModule(
      'encoder',
      new StackedEncoder(
        engine,
        options,
        optionInt(options, 'num_branch_embedding_layers'),
        optionInt(options, 'num_branch_encoder_layers'),
        rand,
      ),
    );
    this.attention = this.registerModule(
      'attention',
      new SymmetricAttentionSplit(engine, options, this.degree, particle.productPerms, rand),
    );
    this.detectionClassifier = this.registerModule(
      'detection_classifier',
      new BranchLinear(engine, options, optionInt(options, 'num_detector_layers'), 1, rand),
    );
  }

  forward(hidden: F, masks: VectorMasks, sequentialRows: number[]): BranchOutput {
    const e = this.engine;
    const { vectors, particle } = this.encoder.forward(hidden, masks);
    const B = masks.B;
    const detection = reshape(this.detectionClassifier.forward(particle), [B]);
    const rows = e.fromArray(Int32Array.from(sequentialRows), [sequentialRows.length], { dtype: 'i32' });
    const seqMasks = masks.select(sequentialRows);
    const { logits, daughters } = this.attention.forward(indexSelect(vectors, 0, rows), seqMasks);
    const flat = reshape(logits, [B, -1]);
    const invalid = e.fromArray(Float32Array.from(invalidTuples(seqMasks, this.degree)), flat.shape);
    const assignment = reshape(logSoftmax(maskedFill(flat, invalid, -Infinity), -1), logits.shape);
    return { assignment, detection, particle, daughters };
  }
}
