/**
 * Module: the base of every model. Parameters, buffers and child modules are registered by
 * name, so the dotted names of `namedParameters()` and `stateDict()` are exactly those
 * PyTorch's `state_dict()` gives for the same structure (`layers.0.weight`,
 * `norm.running_mean`, `norm.num_batches_tracked`), with tensors in PyTorch's layouts.
 */
import type { Engine } from '../tensor/engine';
import type { Tensor } from '../tensor/tensor';
import { entryFromValues, entryToFloat32, entryToInt, type StateDict, type StateDtype, type StateEntry } from './stateDict';

/** A non-trainable tensor saved with the state dict (running statistics, counters). */
interface BufferSlot {
  tensor: Tensor;
  /** The dtype the state dict carries (PyTorch writes counters as I64). */
  dtype: StateDtype;
  persistent: boolean;
}

export interface LoadOptions {
  /** Every key must match (default true): missing and unexpected keys are errors. */
  strict?: boolean;
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
  /** `name: expected [..] F32, got [..] F16` for each key whose shape or kind differs. */
  mismatched: string[];
  loaded: number;
}

export class StateDictError extends Error {
  constructor(
    readonly report: LoadReport,
    context = 'state dict',
  ) {
    const parts: string[] = [];
    if (report.missing.length) parts.push(`missing keys: ${report.missing.join(', ')}`);
    if (report.unexpected.length) parts.push(`unexpected keys: ${report.unexpected.join(', ')}`);
    if (report.mismatched.length) parts.push(`mismatched: ${report.mismatched.join('; ')}`);
    super(`${context} does not fit the model — ${parts.join(' | ')}`);
    this.name = 'StateDictError';
  }
}

const isFloat = (d: StateDtype) => d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F64';

export class Module {
  /** Train mode (dropout active, batch norm updates its running statistics). */
  training = true;
  private readonly params = new Map<string, Tensor<'f32'> | null>();
  private readonly buffers = new Map<string, BufferSlot | null>();
  private readonly children = new Map<string, Module | null>();

  constructor(readonly engine: Engine) {}

  // ---- registration ---------------------------------------------------------------------
  /** Registers a trainable tensor (kept out of every scope); `null` reserves the name. */
  registerParameter(name: string, t: Tensor<'f32'> | null): Tensor<'f32'> {
    this.checkName(name);
    if (t) {
      t.requiresGrad = true;
      t.keep();
    }
    this.params.set(name, t);
    return t as Tensor<'f32'>;
  }

  /** A parameter with the given initial values and PyTorch layout `shape`. */
  parameter(name: string, data: Float32Array, shape: readonly number[]): Tensor<'f32'> {
    return this.registerParameter(name, this.engine.parameter(data, shape));
  }

  registerBuffer<T extends Tensor>(name: string, t: T, opts: { dtype?: StateDtype; persistent?: boolean } = {}): T {
    this.checkName(name);
    t.keep();
    this.buffers.set(name, { tensor: t, dtype: opts.dtype ?? (t.dtype === 'f32' ? 'F32' : 'I64'), persistent: opts.persistent ?? true });
    return t;
  }

  registerModule<M extends Module | null>(name: string, m: M): M {
    this.checkName(name);
    this.children.set(name, m);
    return m;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`module member name "${name}" must be non-empty and contain no dot`);
    if (this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name} already has a member named "${name}"`);
    }
  }

  // ---- traversal ------------------------------------------------------------------------
  *namedChildren(): Generator<[string, Module]> {
    for (const [n, m] of this.children) if (m) yield [n, m];
  }

  /** This module and every descendant, with dotted prefixes ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  /** Parameters in registration order, depth first, as PyTorch orders them. */
  namedParameters(): [string, Tensor<'f32'>][] {
    const out: [string, Tensor<'f32'>][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, t] of m.params) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${n}` : n, t]);
      }
    }
    return out;
  }

  parameters(): Tensor<'f32'>[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(persistentOnly = false): [string, BufferSlot][] {
    const out: [string, BufferSlot][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, b] of m.buffers) {
        if (!b || (persistentOnly && !b.persistent)) continue;
        out.push([prefix ? `${prefix}.${n}` : n, b]);
      }
    }
    return out;
  }

  parameterCount(): number {
    return this.parameters().reduce((a, t) => a + t.size, 0);
  }

  // ---- modes ----------------------------------------------------------------------------
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  // ---- state dict -----------------------------------------------------------------------
  /**
   * What the state dict will hold: name → shape and dtype, in PyTorch's key order. A parameter
   * shared by two modules appears under both names, as in torch's state_dict() (only
   * namedParameters() lists it once).
   */
  stateLayout(): [string, { tensor: Tensor; dtype: StateDtype }][] {
    const out: [string, { tensor: Tensor; dtype: StateDtype }][] = [];
    for (const [prefix, m] of this.namedModules()) {
      const name = (n: string) => (prefix ? `${prefix}.${n}` : n);
      for (const [n, t] of m.params) if (t) out.push([name(n), { tensor: t, dtype: 'F32' }]);
      for (const [n, b] of m.buffers) if (b?.persistent) out.push([name(n), { tensor: b.tensor, dtype: b.dtype }]);
    }
    return out;
  }

  /** Host copies of every parameter and persistent buffer (one readback per tensor), in each one's state-dict dtype. */
  async stateDict(): Promise<StateDict> {
    const sd: StateDict = {};
    for (const [name, { tensor, dtype }] of this.stateLayout()) {
      sd[name] = entryFromValues(await tensor.read(), tensor.shape, dtype);
    }
    return sd;
  }

  /**
   * Checks every key, shape and dtype kind before writing anything, so a failed load leaves
   * the model untouched. Floating entries (F32/F16/BF16/F64) load into f32 tensors; integer
   * entries (I64/I32) into counters. With strict (the default) any problem throws a
   * StateDictError naming the keys; otherwise only the matching keys load.
   */
  loadStateDict(sd: StateDict, opts: LoadOptions = {}): LoadReport {
    const strict = opts.strict ?? true;
    const layout = new Map(this.stateLayout());
    const report: LoadReport = { missing: [], unexpected: [], mismatched: [], loaded: 0 };
    const writes: [string, Tensor, StateEntry][] = [];
    for (const [name, { tensor, dtype }] of layout) {
      const entry = Object.prototype.hasOwnProperty.call(sd, name) ? sd[name] : undefined;
      if (!entry) {
        report.missing.push(name);
        continue;
      }
      const shapeOk = entry.shape.length === tensor.shape.length && entry.shape.every((d, i) => d === tensor.shape[i]);
      const kindOk = isFloat(entry.dtype) === isFloat(dtype);
      if (!shapeOk || !kindOk) {
        report.mismatched.push(`${name}: expected [${tensor.shape.join(', ')}] ${dtype}, got [${entry.shape.join(', ')}] ${entry.dtype}`);
        continue;
      }
      if (entry.data.length !== tensor.size) {
        report.mismatched.push(
          `${name}: shape [${entry.shape.join(', ')}] holds ${tensor.size} values, the entry has ${entry.data.length}`,
        );
        continue;
      }
      writes.push([name, tensor, entry]);
    }
    for (const name of Object.keys(sd)) if (!layout.has(name)) report.unexpected.push(name);
    // Every value is converted before the first write, so a counter that does not fit 32 bits
    // also leaves the model untouched.
    const values: [Tensor, Float32Array | Int32Array | Uint32Array][] = [];
    for (const [name, tensor, entry] of writes) {
      try {
        values.push([tensor, tensor.dtype === 'f32' ? entryToFloat32(entry) : entryToInt(entry, tensor.dtype === 'u32' ? 'u32' : 'i32')]);
      } catch (err) {
        report.mismatched.push(`${name}: ${(err as Error).message}`);
      }
    }
    if (report.mismatched.length || (strict && (report.missing.length || report.unexpected.length))) {
      throw new StateDictError(report);
    }
    const g = this.engine.gpu;
    for (const [tensor, v] of values) {
      if (v.length) g.write(tensor.buffer, v);
      report.loaded++;
    }
    return report;
  }

  /** Frees every parameter and buffer of this module and its children. */
  dispose(): void {
    for (const t of this.parameters()) t.dispose();
    for (const [, b] of this.namedBuffers()) b.tensor.dispose();
  }
}

/** Children named 0, 1, 2, … as torch.nn.ModuleList. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];
  constructor(engine: Engine, items: M[] = []) {
    super(engine);
    for (const m of items) this.append(m);
  }
  append(m: M): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): M {
    return this.items[i];
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** A module whose forward maps one tensor to one tensor. */
export interface Layer {
  forward(x: Tensor<'f32'>): Tensor<'f32'>;
}

/** Children named 0, 1, 2, … applied in order, as torch.nn.Sequential. */
export class Sequential extends ModuleList<Module & Layer> implements Layer {
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return this.items.reduce((h, m) => m.forward(h), x);
  }
}
