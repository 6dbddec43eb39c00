import { readEventFile } from './eventFile';
import { expandEntry, groupFromGenerators, orbits } from './permutations';

export { permutationGroup } from './permutations';
export { EventFileError, readEventFile } from './eventFile';

/** SPANet's per-feature preprocessing: log means x → log(x + 1), normalize means (x − μ)/σ. */
export type FeatureTransform = 'none' | 'log' | 'normalize' | 'log_normalize';
export const TRANSFORMS: FeatureTransform[] = ['none', 'log', 'normalize', 'log_normalize'];
export type InputKind = 'sequential' | 'global' | 'relative';
/** Upstream's regression types (spanet/dataset/regressions). */
export type RegressionKind = 'gaussian' | 'laplacian' | 'log_gaussian';

export interface FeatureSpec {
  name: string;
  transform: FeatureTransform;
}
export interface InputSpec {
  name: string;
  kind: InputKind;
  features: FeatureSpec[];
}
export interface ParticleSpec {
  name: string;
  products: string[];
  /** The input each product is drawn from (`- b: Jets`); null = not named (upstream's -1). */
  productSources: (string | null)[];
  /** The generators as written (complete sets expanded to transpositions), as cycles of product names. */
  productGenerators: string[][][];
  /** The group generated: axis permutations of the assignment tensor that leave the particle unchanged (identity first). */
  productPerms: number[][];
}

/** The event description (SPANet's event .yaml), resolved into index form. */
export interface EventSpec {
  /** In file order, as upstream's input_names. */
  inputs: InputSpec[];
  particles: ParticleSpec[];
  eventGenerators: string[][][];
  /** Permutations of the particles that leave the event unchanged (identity first), e.g. t1 ↔ t2. */
  eventPerms: number[][];
  /** Dataset paths under REGRESSIONS / CLASSIFICATIONS in upstream's order: EVENT/x, p/PARTICLE/x, p/product/x. */
  regressions: string[];
  regressionKinds: RegressionKind[];
  classifications: string[];
}

/** Parses an event file and checks it fits the workbench model (see validateSpec). */
export function parseEventFile(text: string): EventSpec {
  const spec = readEventFile(text);
  validateSpec(spec);
  return spec;
}

/** What the workbench's SPANet model takes (the description itself may be richer). */
export function validateSpec(spec: EventSpec): void {
  const seq = spec.inputs.filter((i) => i.kind === 'sequential');
  if (spec.inputs.some((i) => i.kind === 'relative')) throw new Error('RELATIVE inputs are not supported by the model yet');
  if (seq.length !== 1) throw new Error(`the model needs exactly one sequential input (the jets), found ${seq.length}`);
  for (const p of spec.particles) {
    const other = p.productSources.find((s) => s !== null && s !== seq[0].name);
    if (other)
      throw new Error(`particle ${p.name}: products from input "${other}" are not supported by the model yet (only ${seq[0].name})`);
  }
  if (!spec.particles.length) throw new Error('the event has no particles to reconstruct');
  if (spec.particles.length > 16) throw new Error('more than 16 particles are not supported');
  if (spec.particles.some((p) => p.products.length > 3))
    throw new Error('particles with more than 3 products are not supported by the model yet');
  if (spec.eventPerms.length > 24) throw new Error('the event permutation group has more than 24 elements');
}

// ---- defaults inferred from an HDF5 layout ---------------------------------------------

/** SPANet-like defaults: momenta and masses log-normalised, angles normalised, tags as they are. */
export function defaultTransform(feature: string, values?: ArrayLike<number>): FeatureTransform {
  const f = feature.toLowerCase();
  if (/^(pt|mass|m|e|energy|met|sumet|ht)$/.test(f) || /(_pt|_mass|_e)$/.test(f)) return 'log_normalize';
  if (values) {
    let binary = true;
    for (let i = 0; i < values.length && binary; i++) binary = values[i] === 0 || values[i] === 1;
    if (binary) return 'none';
  }
  if (/tag|charge|^is_|^q$/.test(f)) return 'none';
  return 'normalize';
}

/** q1/q2, b1/b2: products sharing a name stem with a numeric suffix are interchangeable. */
export function inferProductSets(products: string[]): number[][] {
  const stems = new Map<string, number[]>();
  products.forEach((p, i) => {
    const m = /^(.*?)\d+$/.exec(p);
    if (!m) return;
    stems.set(m[1], [...(stems.get(m[1]) ?? []), i]);
  });
  return [...stems.values()].filter((g) => g.length > 1);
}

export interface LayoutSummary {
  sources: { name: string; kind: 'sequential' | 'global'; features: string[] }[];
  targets: { particle: string; products: string[] }[];
  regressions: string[];
  classifications: string[];
}

/**
 * An event description inferred from a file: every source and feature, transforms by
 * name (and binary values), particles from TARGETS, product symmetries from numbered
 * names, and particles with the same product names interchangeable (t1 ↔ t2).
 */
export function inferEventSpec(
  layout: LayoutSummary,
  sample?: (source: string, feature: string) => ArrayLike<number> | undefined,
): EventSpec {
  const inputs: InputSpec[] = layout.sources.map((s) => ({
    name: s.name,
    kind: s.kind,
    features: s.features.map((f) => ({ name: f, transform: defaultTransform(f, sample?.(s.name, f)) })),
  }));
  const particles: ParticleSpec[] = layout.targets.map((t) => {
    const gens = inferProductSets(t.products).flatMap((set) => expandEntry(set));
    return {
      name: t.particle,
      products: [...t.products],
      productSources: t.products.map(() => null),
      productGenerators: gens.map((g) => g.map((c) => c.map((i) => t.products[i]))),
      productPerms: groupFromGenerators(t.products.length, gens),
    };
  });
  const bySignature = new Map<string, number[]>();
  particles.forEach((p, i) => {
    const sig = [...p.products].sort().join('|');
    bySignature.set(sig, [...(bySignature.get(sig) ?? []), i]);
  });
  const evGens = [...bySignature.values()].filter((g) => g.length > 1).flatMap((set) => expandEntry(set));
  const spec: EventSpec = {
    inputs,
    particles,
    eventGenerators: evGens.map((g) => g.map((c) => c.map((i) => particles[i].name))),
    eventPerms: groupFromGenerators(particles.length, evGens),
    regressions: [...layout.regressions],
    regressionKinds: layout.regressions.map(() => 'gaussian'),
    classifications: [...layout.classifications],
  };
  validateSpec(spec);
  return spec;
}

/** SPANet's event YAML for a spec (what the UI shows for editing and the export records). */
export function eventSpecToYaml(spec: EventSpec): string {
  const out: string[] = ['INPUTS:'];
  // type blocks in the order the inputs have them (upstream keeps file order)
  const kinds = [...new Set<InputKind>([...spec.inputs.map((i) => i.kind), 'sequential', 'global'])];
  for (const kind of kinds) {
    const ins = spec.inputs.filter((x) => x.kind === kind);
    out.push(`  ${kind.toUpperCase()}:`);
    for (const i of ins) {
      out.push(`    ${i.name}:`);
      for (const f of i.features) out.push(`      ${f.name}: ${f.transform}`);
    }
  }
  out.push('', 'EVENT:');
  for (const p of spec.particles) {
    out.push(`  ${p.name}:`, ...p.products.map((q, i) => `    - ${q}${p.productSources[i] ? `: ${p.productSources[i]}` : ''}`));
  }
  out.push('', 'PERMUTATIONS:');
  // generators are written as explicit cycles, which read back to the same generators
  const gens = (g: string[][][]) => g.map((cycles) => `    - [ ${cycles.map((c) => `[ ${c.join(', ')} ]`).join(', ')} ]`);
  if (spec.eventGenerators.length) out.push('  EVENT:', ...gens(spec.eventGenerators));
  for (const p of spec.particles) if (p.productGenerators.length) out.push(`  ${p.name}:`, ...gens(p.productGenerators));
  const tree = (paths: string[], key: string, kinds?: RegressionKind[]) => {
    out.push('', `${key}:`);
    const owners = new Map<string, Map<string, string[]>>();
    paths.forEach((path, i) => {
      const parts = path.split('/');
      const name = parts.pop()!;
      const [top, sub] = parts;
      const entry = kinds && kinds[i] !== 'gaussian' ? `[ ${name}, ${kinds[i]} ]` : name;
      if (!owners.has(top)) owners.set(top, new Map());
      const m = owners.get(top)!;
      m.set(sub ?? '', [...(m.get(sub ?? '') ?? []), entry]);
    });
    for (const [top, m] of owners) {
      out.push(`  ${top}:`);
      for (const [sub, names] of m) {
        if (sub) out.push(`    ${sub}:`, ...names.map((n) => `      - ${n}`));
        else out.push(...names.map((n) => `    - ${n}`));
      }
    }
  };
  tree(spec.regressions, 'REGRESSIONS', spec.regressionKinds);
  tree(spec.classifications, 'CLASSIFICATIONS');
  return out.join('\n') + '\n';
}

/** The interchangeable sets of a group (its orbits), e.g. for a summary line. */
export function symmetricSets(perms: number[][], names: string[]): string[][] {
  return orbits(perms, names.length).map((o) => o.map((i) => names[i]));
}
