/**
 * Upstream SPANet v2's JetReconstructionNetwork (commit 46c6805) on the workbench engine, eval
 * forward: module tree and names equal to upstream's state_dict, so its weights load strictly.
 * Ported path: GRU linear blocks, gated transformer, LayerNorm, Filling masking, split
 * symmetric attention, SEQUENTIAL and GLOBAL inputs; other options are refused by name.
 */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { EventSpec } from '../../tasks/spanet/eventSpec';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Module, type LoadOptions, type LoadReport } from '../module';
import type { StateDict, StateDtype } from '../stateDict';
import { optionInt, seededRand } from './config';
import { BranchDecoder } from './branchDecoder';
import { BranchLinear, NormalizedBranchLinear } from './branchLinear';
import { MultiInputVectorEmbedding, type SourceInput } from './embedding';
import { ModuleDictOf, ModuleListOf } from './containers';
import { StackedEncoder } from './stackedEncoder';

type F = Tensor<'f32'>;

export interface UpstreamOutputs {
  /** Per event particle (file order): log-probabilities [B, N, …]. */
  assignments: F[];
  /** Per event particle: detection logits [B]. */
  detections: F[];
  /** Per regression path (`EVENT/x`, …): [B]. */
  regressions: Record<string, F>;
  /** Per classification path: logits [B, classes]. */
  classifications: Record<string, F>;
}

class RegressionDecoder extends Module {
  readonly networks: ModuleDictOf<NormalizedBranchLinear>;
  constructor(engine: Engine, options: SpanetOptions, spec: EventSpec, rand: () => number) {
    super(engine);
    this.networks = this.registerModule('networks', new ModuleDictOf<NormalizedBranchLinear>(engine));
    spec.regressions.forEach((path, i) =>
      this.networks.add(
        path,
        new NormalizedBranchLinear(engine, options, optionInt(options, 'num_regression_layers'), spec.regressionKinds[i], rand),
      ),
    );
  }
}

class ClassificationDecoder extends Module {
  readonly networks: ModuleDictOf<BranchLinear>;
  constructor(engine: Engine, options: SpanetOptions, spec: EventSpec, classes: Record<string, number>, rand: () => number) {
    super(engine);
    this.networks = this.registerModule('networks', new ModuleDictOf<BranchLinear>(engine));
    for (const path of spec.classifications) {
      const n = classes[path];
      if (!(n >= 1))
        throw new Error(`upstream SPANet network: the class count of ${path} is needed (upstream counts it in the training data)`);
      this.networks.add(path, new BranchLinear(engine, options, optionInt(options, 'num_classification_layers'), n, rand));
    }
  }
}

type StateSlot = [string, { tensor: Tensor; dtype: StateDtype }];

/**
 * State upstream's JetReconstructionBase adds to the model besides the network (its balance
 * tensors): `own` entries are written before event_permutation_tensor, `children` after it and
 * before embedding.*, as torch's state_dict() orders them.
 */
export interface BaseState {
  ownEntries(): StateSlot[];
  childEntries(): StateSlot[];
  /** throws before anything is written when sd's values cannot be taken */
  check(sd: StateDict): void;
  /** after a load wrote the tensors */
  loaded(sd: StateDict): void;
}

/** The vector a head reads: its path without the last part (`EVENT`, `t/PARTICLE`, `t/b`). */
const headSource = (path: string) => path.split('/').slice(0, -1).join('/');

export class UpstreamJetReconstructionNetwork extends Module {
  readonly embedding: MultiInputVectorEmbedding;
  readonly encoder: StackedEncoder;
  readonly branchDecoders: BranchDecoder[] = [];
  readonly regressionDecoder: RegressionDecoder;
  readonly classificationDecoder: ClassificationDecoder;

  /** classes: the class count of each classification path (upstream takes it from the data). */
  constructor(
    engine: Engine,
    readonly options: SpanetOptions,
    readonly spec: EventSpec,
    classes: Record<string, number>,
    seed = 1,
  ) {
    super(engine);
    const rand = seededRand(seed);
    const P = spec.particles.length;
    // Upstream's JetReconstructionBase keeps the event permutation group as an I64 parameter.
    const perms = spec.eventPerms.length ? spec.eventPerms : [Array.from({ length: P }, (_, i) => i)];
    this.registerBuffer('event_permutation_tensor', engine.fromArray(Int32Array.from(perms.flat()), [perms.length, P], { dtype: 'i32' }), {
      dtype: 'I64',
    });
    this.embedding = this.registerModule('embedding', new MultiInputVectorEmbedding(engine, options, spec.inputs, rand));
    this.encoder = this.registerModule('encoder', new StackedEncoder(engine, options, 0, optionInt(options, 'num_encoder_layers'), rand));
    const branches = this.registerModule('branch_decoders', new ModuleListOf(engine));
    for (const p of spec.particles) this.branchDecoders.push(branches.add(new BranchDecoder(engine, options, p, rand)));
    this.regressionDecoder = this.registerModule('regression_decoder', new RegressionDecoder(engine, options, spec, rand));
    this.classificationDecoder = this.registerModule(
      'classification_decoder',
      new ClassificationDecoder(engine, options, spec, classes, rand),
    );
  }

  /** The run's JetReconstructionBase state (balance tensors), or null; not owned (the caller disposes it). */
  baseState: BaseState | null = null;

  stateLayout(): StateSlot[] {
    const layout = super.stateLayout();
    if (!this.baseState) return layout;
    const at = layout.findIndex(([n]) => n === 'event_permutation_tensor') + 1;
    return [...this.baseState.ownEntries(), ...layout.slice(0, at), ...this.baseState.childEntries(), ...layout.slice(at)];
  }

  loadStateDict(sd: StateDict, opts: LoadOptions = {}): LoadReport {
    this.baseState?.check(sd);
    const report = super.loadStateDict(sd, opts);
    this.baseState?.loaded(sd);
    return report;
  }

  /** sources in the event file's input order: data [B, T, features], mask [B, T]. */
  forward(sources: SourceInput[]): UpstreamOutputs {
    const { embeddings, masks, sequentialRows } = this.embedding.forward(sources);
    const { vectors: hidden, particle: eventVector } = this.encoder.forward(embeddings, masks);
    const encoded = new Map<string, F>([['EVENT', eventVector]]);
    const assignments: F[] = [],
      detections: F[] = [];
    this.branchDecoders.forEach((decoder) => {
      const out = decoder.forward(hidden, masks, sequentialRows);
      assignments.push(out.assignment);
      detections.push(out.detection);
      encoded.set(`${decoder.particle.name}/PARTICLE`, out.particle);
      decoder.particle.products.forEach((name, i) => encoded.set(`${decoder.particle.name}/${name}`, out.daughters[i]));
    });
    const vectorFor = (path: string): F => {
      const v = encoded.get(headSource(path));
      if (!v) throw new Error(`upstream SPANet network: no encoded vector ${headSource(path)} for ${path}`);
      return v;
    };
    const regressions: Record<string, F> = {},
      classifications: Record<string, F> = {};
    for (const [path, net] of this.regressionDecoder.networks.entries) regressions[path] = net.forward(vectorFor(path));
    for (const [path, net] of this.classificationDecoder.networks.entries) classifications[path] = net.forward(vectorFor(path));
    return { assignments, detections, regressions, classifications };
  }
}
