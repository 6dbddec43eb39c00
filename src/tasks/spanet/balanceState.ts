/**
 * The balance weights as state-dict entries, as upstream's JetReconstructionBase keeps them:
 * requires_grad=False parameters of the model, so they are in its state_dict and a checkpoint
 * brings them back (upstream's loss then reads the loaded ones).
 *
 *   particle_index_tensor            I64 [P]      2^p (bit p of a present-set index)   balance_particles (+ partial_events)
 *   particle_weights_tensor          F32 [2^P]    by present-set bit mask               balance_particles (+ partial_events)
 *   jet_weights_tensor               F32 [V + 1]  by vector count, V the largest        balance_jets
 *   classification_weights.<path>    F32 [C]      per classification, by class          balance_classifications
 *
 * torch writes the first three before event_permutation_tensor (all parameters of the model
 * itself, in registration order) and classification_weights (a ParameterDict, the model's first
 * child module) after it, before embedding.*.
 */
import type { StateDtype, StateDict, StateEntry } from '../../nn/stateDict';
import { entryToFloat32, entryToInt } from '../../nn/stateDict';
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import { classWeightsFor, type BalanceUse, type BalanceWeights } from './balance';

export type LayoutEntry = [string, { tensor: Tensor; dtype: StateDtype }];

export class BalanceState {
  private readonly particleIndex: Tensor | null = null;
  private readonly particleWeights: Tensor<'f32'> | null = null;
  private readonly jetWeights: Tensor<'f32'> | null = null;
  /** per classification (spec order), the loss's class weights; empty unless balance_classifications */
  readonly classWeights: Tensor<'f32'>[] = [];
  /** the weights the loss uses (host copies of the tensors' values) */
  weights: BalanceWeights;

  constructor(
    engine: Engine,
    readonly use: BalanceUse,
    private readonly P: number,
    private readonly classPaths: string[],
    classCounts: number[],
    w: BalanceWeights,
  ) {
    this.weights = w;
    if (use.particles) {
      this.particleIndex = engine
        .fromArray(
          Int32Array.from({ length: P }, (_, p) => 1 << p),
          [P],
          { dtype: 'i32' },
        )
        .keep();
      this.particleWeights = engine.fromArray(Float32Array.from(w.particles), [w.particles.length]).keep();
    }
    if (use.jets) this.jetWeights = engine.fromArray(Float32Array.from(w.vectors), [w.vectors.length]).keep();
    if (use.classifications)
      this.classWeights = w.classes.map((c, i) => engine.fromArray(classWeightsFor(c, classCounts[i]), [classCounts[i]]).keep());
  }

  /** The entries torch writes before event_permutation_tensor. */
  ownEntries(): LayoutEntry[] {
    const out: LayoutEntry[] = [];
    if (this.particleIndex) out.push(['particle_index_tensor', { tensor: this.particleIndex, dtype: 'I64' }]);
    if (this.particleWeights) out.push(['particle_weights_tensor', { tensor: this.particleWeights, dtype: 'F32' }]);
    if (this.jetWeights) out.push(['jet_weights_tensor', { tensor: this.jetWeights, dtype: 'F32' }]);
    return out;
  }

  /** classification_weights.<path>, written after event_permutation_tensor. */
  childEntries(): LayoutEntry[] {
    return this.classWeights.map((t, i) => [`classification_weights.${this.classPaths[i]}`, { tensor: t, dtype: 'F32' }]);
  }

  /**
   * Before a load writes anything: our loss indexes the particle weights by bit p = particle p,
   * so a particle_index_tensor other than 2^p is refused (upstream would index by it).
   */
  check(sd: StateDict): void {
    const e = sd.particle_index_tensor;
    if (!this.particleIndex || !e || e.shape.length !== 1 || e.shape[0] !== this.P) return; // the strict check reports it
    const v = entryToInt(e, 'i32');
    const bad = [...v].findIndex((x, p) => x !== 1 << p);
    if (bad >= 0) throw new Error(`state dict: particle_index_tensor[${bad}] is ${v[bad]}, upstream's is 2^${bad} = ${1 << bad}`);
  }

  /** After a load wrote the tensors: the loss takes the loaded values (entries the dict lacks keep ours). */
  loaded(sd: StateDict): void {
    const f64 = (e: StateEntry | undefined) => (e ? Float64Array.from(entryToFloat32(e)) : undefined);
    const w = this.weights;
    this.weights = {
      particles: (this.particleWeights && f64(sd.particle_weights_tensor)) || w.particles,
      vectors: (this.jetWeights && f64(sd.jet_weights_tensor)) || w.vectors,
      classes: w.classes.map((c, i) => (this.classWeights[i] && f64(sd[`classification_weights.${this.classPaths[i]}`])) || c),
    };
  }

  dispose(): void {
    [this.particleIndex, this.particleWeights, this.jetWeights, ...this.classWeights].forEach((t) => t?.dispose());
  }
}
