import { parseYaml, type YamlValue } from './yaml';

/** SPANet's per-feature preprocessing: log means x → log(x + 1), normalize means (x − μ)/σ. */
export type FeatureTransform = 'none' | 'log' | 'normalize' | 'log_normalize';
export const TRANSFORMS: FeatureTransform[] = ['none', 'log', 'normalize', 'log_normalize'];

export interface FeatureSpec { name: string; transform: FeatureTransform }
export interface InputSpec { name: string; kind: 'sequential' | 'global'; features: FeatureSpec[] }
export interface ParticleSpec {
  name: string;
  products: string[];
  /** Axis permutations of the assignment tensor that leave the particle unchanged (identity first). */
  productPerms: number[][];
}

/** The event description (SPANet's event .yaml), resolved into index form. */
export interface EventSpec {
  inputs: InputSpec[];
  particles: ParticleSpec[];
  /** Permutations of the particles that leave the event unchanged (identity first), e.g. t1 ↔ t2. */
  eventPerms: number[][];
  /** Dataset paths under REGRESSIONS / CLASSIFICATIONS, e.g. "EVENT/log_invariant_mass". */
  regressions: string[];
  classifications: string[];
}

/** Every permutation of 0..n-1 that maps each group onto itself (elements outside groups fixed). */
export function permutationGroup(n: number, groups: number[][]): number[][] {
  const cls = Array.from({ length: n }, (_, i) => i);
  groups.forEach((g, gi) => g.forEach((i) => { cls[i] = n + gi; }));
  const out: number[][] = [];
  const perm: number[] = [];
  const used = new Array<boolean>(n).fill(false);
  const rec = (a: number) => {
    if (a === n) { out.push([...perm]); return; }
    for (let s = 0; s < n; s++) {
      if (used[s] || cls[s] !== cls[a]) continue;
      used[s] = true; perm.push(s);
      rec(a + 1);
      used[s] = false; perm.pop();
    }
  };
  rec(0);
  return out; // lexicographic: the identity comes first
}

const asMap = (v: YamlValue | undefined, what: string): Record<string, YamlValue> => {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`event file: ${what} must be a mapping`);
  return v;
};

function symmetricSets(entries: YamlValue, names: string[], where: string): number[][] {
  if (entries === null) return [];
  if (!Array.isArray(entries)) throw new Error(`event file: PERMUTATIONS/${where} must be a list of [a, b] lists`);
  return entries.map((e) => {
    if (!Array.isArray(e) || e.some((x) => Array.isArray(x))) {
      throw new Error(`event file: PERMUTATIONS/${where}: only flat lists of interchangeable names are supported, got ${JSON.stringify(e)}`);
    }
    return e.map((x) => {
      const i = names.indexOf(String(x));
      if (i < 0) throw new Error(`event file: PERMUTATIONS/${where} names "${x}", which is not one of ${names.join(', ')}`);
      return i;
    });
  });
}

function eventPermsFor(particles: ParticleSpec[], sets: number[][]): number[][] {
  for (const s of sets) {
    const k = particles[s[0]].products.length;
    if (s.some((i) => particles[i].products.length !== k)) {
      throw new Error(`event file: particles ${s.map((i) => particles[i].name).join(', ')} are declared interchangeable but have different numbers of products`);
    }
  }
  return permutationGroup(particles.length, sets);
}

/** Parses SPANet's event YAML (INPUTS / EVENT / PERMUTATIONS / REGRESSIONS / CLASSIFICATIONS). */
export function parseEventFile(text: string): EventSpec {
  const root = asMap(parseYaml(text), 'the file');
  const inputs: InputSpec[] = [];
  const ins = asMap(root.INPUTS, 'INPUTS');
  for (const kind of ['SEQUENTIAL', 'GLOBAL'] as const) {
    for (const [name, feats] of Object.entries(asMap(ins[kind], `INPUTS/${kind}`))) {
      const features = Object.entries(asMap(feats, `INPUTS/${kind}/${name}`)).map(([f, t]) => {
        const transform = String(t ?? 'none') as FeatureTransform;
        if (!TRANSFORMS.includes(transform)) throw new Error(`event file: feature ${name}/${f} has transform "${t}" (expected ${TRANSFORMS.join(', ')})`);
        return { name: f, transform };
      });
      inputs.push({ name, kind: kind === 'SEQUENTIAL' ? 'sequential' : 'global', features });
    }
  }
  const perms = asMap(root.PERMUTATIONS, 'PERMUTATIONS');
  const particles: ParticleSpec[] = Object.entries(asMap(root.EVENT, 'EVENT')).map(([name, prods]) => {
    if (!Array.isArray(prods) || prods.length === 0) throw new Error(`event file: EVENT/${name} must list its decay products`);
    const products = prods.map(String);
    if (products.length > 3) throw new Error(`event file: EVENT/${name} has ${products.length} products; up to 3 are supported`);
    return { name, products, productPerms: permutationGroup(products.length, symmetricSets(perms[name] ?? null, products, name)) };
  });
  const eventPerms = eventPermsFor(particles, symmetricSets(perms.EVENT ?? null, particles.map((p) => p.name), 'EVENT'));
  const heads = (v: YamlValue | undefined, what: string): string[] =>
    Object.entries(asMap(v, what)).flatMap(([owner, list]) => {
      if (list === null) return [];
      if (!Array.isArray(list)) throw new Error(`event file: ${what}/${owner} must be a list`);
      return list.map((x) => `${owner}/${x}`);
    });
  const spec: EventSpec = {
    inputs, particles, eventPerms,
    regressions: heads(root.REGRESSIONS, 'REGRESSIONS'),
    classifications: heads(root.CLASSIFICATIONS, 'CLASSIFICATIONS'),
  };
  validateSpec(spec);
  return spec;
}

export function validateSpec(spec: EventSpec): void {
  const seq = spec.inputs.filter((i) => i.kind === 'sequential');
  if (seq.length !== 1) throw new Error(`the model needs exactly one sequential input (the jets), found ${seq.length}`);
  if (!spec.particles.length) throw new Error('the event has no particles to reconstruct');
  if (spec.particles.length > 16) throw new Error('more than 16 particles are not supported');
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
export function inferEventSpec(layout: LayoutSummary, sample?: (source: string, feature: string) => ArrayLike<number> | undefined): EventSpec {
  const inputs: InputSpec[] = layout.sources.map((s) => ({
    name: s.name, kind: s.kind,
    features: s.features.map((f) => ({ name: f, transform: defaultTransform(f, sample?.(s.name, f)) })),
  }));
  const particles: ParticleSpec[] = layout.targets.map((t) => ({
    name: t.particle, products: [...t.products],
    productPerms: permutationGroup(t.products.length, inferProductSets(t.products)),
  }));
  const bySignature = new Map<string, number[]>();
  particles.forEach((p, i) => {
    const sig = [...p.products].sort().join('|');
    bySignature.set(sig, [...(bySignature.get(sig) ?? []), i]);
  });
  const spec: EventSpec = {
    inputs, particles,
    eventPerms: permutationGroup(particles.length, [...bySignature.values()].filter((g) => g.length > 1)),
    regressions: [...layout.regressions], classifications: [...layout.classifications],
  };
  validateSpec(spec);
  return spec;
}

/** SPANet's event YAML for a spec (what the UI shows for editing and the export records). */
export function eventSpecToYaml(spec: EventSpec): string {
  const out: string[] = ['INPUTS:'];
  for (const kind of ['sequential', 'global'] as const) {
    out.push(`  ${kind.toUpperCase()}:`);
    for (const i of spec.inputs.filter((x) => x.kind === kind)) {
      out.push(`    ${i.name}:`);
      for (const f of i.features) out.push(`      ${f.name}: ${f.transform}`);
    }
  }
  out.push('', 'EVENT:');
  for (const p of spec.particles) out.push(`  ${p.name}:`, ...p.products.map((q) => `    - ${q}`));
  out.push('', 'PERMUTATIONS:');
  const sets = (perms: number[][], names: string[]) => {
    // orbits of the group = the interchangeable sets
    const seen = new Set<number>();
    const res: string[][] = [];
    names.forEach((_, i) => {
      if (seen.has(i)) return;
      const orbit = [...new Set(perms.map((p) => p[i]))].sort((a, b) => a - b);
      orbit.forEach((j) => seen.add(j));
      if (orbit.length > 1) res.push(orbit.map((j) => names[j]));
    });
    return res;
  };
  const ev = sets(spec.eventPerms, spec.particles.map((p) => p.name));
  if (ev.length) out.push('  EVENT:', ...ev.map((s) => `    - [ ${s.join(', ')} ]`));
  for (const p of spec.particles) {
    const s = sets(p.productPerms, p.products);
    if (s.length) out.push(`  ${p.name}:`, ...s.map((x) => `    - [ ${x.join(', ')} ]`));
  }
  const group = (paths: string[], key: string) => {
    out.push('', `${key}:`);
    const owners = new Map<string, string[]>();
    for (const path of paths) {
      const i = path.lastIndexOf('/');
      const owner = i < 0 ? 'EVENT' : path.slice(0, i);
      owners.set(owner, [...(owners.get(owner) ?? []), path.slice(i + 1)]);
    }
    for (const [o, names] of owners) out.push(`  ${o}:`, ...names.map((n) => `    - ${n}`));
  };
  group(spec.regressions, 'REGRESSIONS');
  group(spec.classifications, 'CLASSIFICATIONS');
  return out.join('\n') + '\n';
}
