/**
 * SPANet's event file (EVENT.yaml) read with the `yaml` package (YAML 1.1, as upstream's
 * PyYAML) into the complete event description, with upstream's meaning of every section
 * (spanet/dataset/event_info.py read_from_yaml). Errors name the line and the problem.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { expandEntry, groupFromGenerators } from './permutations';
import type { EventSpec, FeatureTransform, InputKind, InputSpec, ParticleSpec, RegressionKind } from './eventSpec';

export class EventFileError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `line ${line}: ${problem}` : problem);
  }
}

export const REGRESSION_KINDS: RegressionKind[] = ['gaussian', 'laplacian', 'log_gaussian'];

/**
 * Upstream's reading of a feature option: normalise when it contains "normalize" or "true",
 * log when it contains "log" (any case), so `Log_Normalize` is log_normalize. A word with
 * neither that is not none/false is a typo upstream silently treats as none: refused here.
 */
export function featureTransform(option: string): FeatureTransform | null {
  const s = option.toLowerCase();
  const norm = s.includes('normalize') || s.includes('true');
  const log = s.includes('log');
  if (log && norm) return 'log_normalize';
  if (log) return 'log';
  if (norm) return 'normalize';
  return s === 'none' || s === 'false' ? 'none' : null;
}

type Entries = { key: string; value: Node | null; line: number }[];

/** Whole-file reader: keeps node lines for messages. */
class Reader {
  private lines = new LineCounter();
  readonly root: Node | null;

  constructor(text: string) {
    const doc = parseDocument(text, { version: '1.1', lineCounter: this.lines, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) throw new EventFileError(err.linePos?.[0].line ?? this.lineAt(err.pos[0]), err.message.split('\n')[0]);
    this.root = (doc.contents as Node | null) ?? null;
  }

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }
  line(n: Node | null | undefined, fallback = 0): number {
    return n?.range ? this.lineAt(n.range[0]) : fallback;
  }

  fail(n: Node | null | undefined, problem: string, fallback = 0): never {
    throw new EventFileError(this.line(n, fallback), problem);
  }

  isNull(n: Node | null | undefined): boolean {
    return n == null || (isScalar(n) && n.value == null);
  }

  /** A mapping's entries in file order; null/empty is no entries. */
  entries(n: Node | null | undefined, what: string): Entries {
    if (this.isNull(n)) return [];
    if (!isMap(n)) this.fail(n, `${what} must be a mapping (key: value lines)`);
    return n.items.map((p: Pair) => {
      const k = p.key as Node | null;
      if (!isScalar(k) || k.value == null) this.fail(k, `${what} has a key that is not a name`, this.line(n));
      return { key: String(k.value), value: (p.value as Node | null) ?? null, line: this.line(k) };
    });
  }

  list(n: Node | null | undefined, what: string): Node[] {
    if (this.isNull(n)) return [];
    if (!isSeq(n)) this.fail(n, `${what} must be a list`);
    return n.items as Node[];
  }

  name(n: Node | null | undefined, what: string, fallback = 0): string {
    if (!isScalar(n) || n.value == null || typeof n.value === 'object') this.fail(n, `${what} must be a name`, fallback);
    return String(n.value);
  }
}

const INPUT_KINDS: Record<string, InputKind> = { SEQUENTIAL: 'sequential', GLOBAL: 'global', RELATIVE: 'relative' };
const SECTIONS = ['INPUTS', 'EVENT', 'PERMUTATIONS', 'REGRESSIONS', 'CLASSIFICATIONS'];

function readInputs(r: Reader, node: Node | null): InputSpec[] {
  const inputs: InputSpec[] = [];
  for (const t of r.entries(node, 'INPUTS')) {
    const kind = INPUT_KINDS[t.key.toUpperCase()];
    if (!kind) throw new EventFileError(t.line, `INPUTS/${t.key}: unknown input type (expected SEQUENTIAL, GLOBAL or RELATIVE)`);
    for (const inp of r.entries(t.value, `INPUTS/${t.key}`)) {
      if (inputs.some((i) => i.name === inp.key)) throw new EventFileError(inp.line, `input "${inp.key}" is declared twice`);
      const features = r.entries(inp.value, `INPUTS/${t.key}/${inp.key}`).map((f) => {
        const v = f.value;
        if (r.isNull(v) || !isScalar(v)) {
          throw new EventFileError(
            f.line,
            `feature ${inp.key}/${f.key} has no preprocessing option (expected none, log, normalize or log_normalize)`,
          );
        }
        const transform = featureTransform(String(v.value));
        if (!transform) {
          throw new EventFileError(
            r.line(v, f.line),
            `feature ${inp.key}/${f.key} has the option "${String(v.value)}" (expected none, log, normalize or log_normalize, any case)`,
          );
        }
        return { name: f.key, transform };
      });
      if (!features.length) throw new EventFileError(inp.line, `input ${inp.key} has no features`);
      inputs.push({ name: inp.key, kind, features });
    }
  }
  return inputs;
}

/** Names of a PERMUTATIONS entry → generators of index cycles. */
function readGenerators(r: Reader, node: Node | null, names: string[], where: string): { names: string[][][]; indices: number[][][] } {
  const outNames: string[][][] = [];
  for (const entry of r.list(node, `PERMUTATIONS/${where}`)) {
    const items = r.list(entry, `PERMUTATIONS/${where} entry`);
    if (!items.length) r.fail(entry, `PERMUTATIONS/${where}: an empty permutation`);
    const explicit = isSeq(items[0]);
    const raw = explicit
      ? items.map((c) => r.list(c, `PERMUTATIONS/${where}: a cycle`).map((x) => r.name(x, 'a cycle element', r.line(entry))))
      : items.map((x) => {
          if (isSeq(x)) r.fail(x, `PERMUTATIONS/${where}: mixes names and cycles in one entry`);
          return r.name(x, 'a permutation element', r.line(entry));
        });
    for (const n of raw.flat()) {
      if (!names.includes(n)) r.fail(entry, `PERMUTATIONS/${where} names "${n}", which is not one of ${names.join(', ')}`);
    }
    if (explicit) {
      const used = (raw as string[][]).flat();
      if (new Set(used).size !== used.length) r.fail(entry, `PERMUTATIONS/${where}: the cycles of one generator must be disjoint`);
    }
    outNames.push(...(explicit ? [raw as string[][]] : expandEntry(raw as string[])));
  }
  return { names: outNames, indices: outNames.map((g) => g.map((c) => c.map((n) => names.indexOf(n)))) };
}

/** REGRESSIONS / CLASSIFICATIONS: EVENT list, per particle PARTICLE and product lists. */
function readHeads(r: Reader, node: Node | null, section: string, particles: ParticleSpec[], typed: boolean) {
  const found = new Map<string, { kind: RegressionKind }>();
  const leaf = (n: Node | null, owner: string) => {
    for (const item of r.list(n, `${section}/${owner}`)) {
      let name: string,
        kind: RegressionKind = 'gaussian';
      if (isSeq(item) && typed) {
        const [nm, ty, ...rest] = item.items as Node[];
        name = r.name(nm, `${section}/${owner}: a regression`, r.line(item));
        if (rest.length) r.fail(item, `${section}/${owner}/${name}: expected [name, type]`);
        if (ty) {
          const t = r.name(ty, 'a regression type').toLowerCase() as RegressionKind;
          if (!REGRESSION_KINDS.includes(t))
            r.fail(ty, `${section}/${owner}/${name}: unknown regression type "${t}" (expected ${REGRESSION_KINDS.join(', ')})`);
          kind = t;
        }
      } else name = r.name(item, `a ${section} entry`, r.line(n));
      const path = `${owner}/${name}`;
      if (found.has(path)) r.fail(item, `${section}/${path} is listed twice`);
      found.set(path, { kind });
    }
  };
  const byOwner = new Map<string, Node | null>();
  for (const e of r.entries(node, section)) {
    if (e.key !== 'EVENT' && !particles.some((p) => p.name === e.key)) {
      throw new EventFileError(
        e.line,
        `${section}/${e.key}: not EVENT and not a particle of EVENT (${particles.map((p) => p.name).join(', ')})`,
      );
    }
    byOwner.set(e.key, e.value);
  }
  leaf(byOwner.get('EVENT') ?? null, 'EVENT');
  for (const p of particles) {
    const pn = byOwner.get(p.name);
    if (pn == null) continue;
    // upstream takes a mapping; its docs show a list of one-key mappings: both are read
    const parts: Entries = isSeq(pn)
      ? (pn.items as Node[]).flatMap((it) => r.entries(it, `${section}/${p.name} entry`))
      : r.entries(pn, `${section}/${p.name}`);
    const inner = new Map<string, Node | null>();
    for (const e of parts) {
      if (e.key !== 'PARTICLE' && !p.products.includes(e.key)) {
        throw new EventFileError(
          e.line,
          `${section}/${p.name}/${e.key}: not PARTICLE and not a product of ${p.name} (${p.products.join(', ')})`,
        );
      }
      inner.set(e.key, e.value);
    }
    leaf(inner.get('PARTICLE') ?? null, `${p.name}/PARTICLE`);
    for (const q of p.products) leaf(inner.get(q) ?? null, `${p.name}/${q}`);
  }
  return found;
}

/** The complete description of an event file, without the workbench model's limits. */
export function readEventFile(text: string): EventSpec {
  const r = new Reader(text);
  const top = r.entries(r.root, 'the file');
  const sec = new Map(top.map((e) => [e.key, e]));
  for (const e of top)
    if (!SECTIONS.includes(e.key)) throw new EventFileError(e.line, `unknown section "${e.key}" (expected ${SECTIONS.join(', ')})`);
  for (const need of ['INPUTS', 'EVENT']) if (!sec.has(need)) throw new EventFileError(0, `the file has no ${need} section`);

  const inputs = readInputs(r, sec.get('INPUTS')!.value);
  if (!inputs.some((i) => i.kind === 'sequential' || i.kind === 'relative')) {
    throw new EventFileError(sec.get('INPUTS')!.line, 'INPUTS needs at least one SEQUENTIAL input');
  }
  const perms = new Map(r.entries(sec.get('PERMUTATIONS')?.value ?? null, 'PERMUTATIONS').map((e) => [e.key, e]));

  const particles: ParticleSpec[] = r.entries(sec.get('EVENT')!.value, 'EVENT').map((p) => {
    const items = r.list(p.value, `EVENT/${p.key}`);
    if (!items.length) throw new EventFileError(p.line, `EVENT/${p.key} must list its decay products`);
    const products: string[] = [];
    const productSources: (string | null)[] = [];
    for (const it of items) {
      if (isMap(it)) {
        const [e, ...more] = r.entries(it, `EVENT/${p.key} product`);
        if (!e || more.length) r.fail(it, `EVENT/${p.key}: a product is a name or "name: input"`);
        const src = r.name(e.value, `EVENT/${p.key}/${e.key} source`, e.line);
        if (!inputs.some((i) => i.name === src))
          throw new EventFileError(
            e.line,
            `EVENT/${p.key}/${e.key} comes from "${src}", which is not an input (${inputs.map((i) => i.name).join(', ')})`,
          );
        products.push(e.key);
        productSources.push(src);
      } else {
        products.push(r.name(it, `EVENT/${p.key} product`, p.line));
        productSources.push(null);
      }
    }
    const dup = products.find((q, i) => products.indexOf(q) !== i);
    if (dup) throw new EventFileError(p.line, `EVENT/${p.key} lists the product "${dup}" twice`);
    const g = readGenerators(r, perms.get(p.key)?.value ?? null, products, p.key);
    return {
      name: p.key,
      products,
      productSources,
      productGenerators: g.names,
      productPerms: groupFromGenerators(products.length, g.indices),
    };
  });
  if (!particles.length) throw new EventFileError(sec.get('EVENT')!.line, 'EVENT has no particles');
  const names = particles.map((p) => p.name);
  for (const [k, e] of perms)
    if (k !== 'EVENT' && !names.includes(k))
      throw new EventFileError(e.line, `PERMUTATIONS/${k}: not EVENT and not a particle (${names.join(', ')})`);
  const ev = readGenerators(r, perms.get('EVENT')?.value ?? null, names, 'EVENT');
  for (const gen of ev.indices)
    for (const cyc of gen) {
      const k = particles[cyc[0]].products.length;
      if (cyc.some((i) => particles[i].products.length !== k)) {
        throw new EventFileError(
          perms.get('EVENT')!.line,
          `particles ${cyc.map((i) => names[i]).join(', ')} are declared interchangeable but have different numbers of products`,
        );
      }
    }
  const regs = readHeads(r, sec.get('REGRESSIONS')?.value ?? null, 'REGRESSIONS', particles, true);
  const cls = readHeads(r, sec.get('CLASSIFICATIONS')?.value ?? null, 'CLASSIFICATIONS', particles, false);
  return {
    inputs,
    particles,
    eventGenerators: ev.names,
    eventPerms: groupFromGenerators(particles.length, ev.indices),
    regressions: [...regs.keys()],
    regressionKinds: [...regs.values()].map((v) => v.kind),
    classifications: [...cls.keys()],
  };
}

/** The JSON `physml event` prints. */
export function eventDescriptionJson(s: EventSpec) {
  return {
    inputs: s.inputs.map((i) => ({
      name: i.name,
      kind: i.kind,
      features: i.features.map((f) => ({ name: f.name, transform: f.transform })),
    })),
    particles: s.particles.map((p) => ({
      name: p.name,
      products: p.products,
      sources: p.productSources,
      generators: p.productGenerators,
      permutations: p.productPerms,
    })),
    event_generators: s.eventGenerators,
    event_permutations: s.eventPerms,
    regressions: s.regressions.map((name, i) => ({ name, kind: s.regressionKinds[i] })),
    classifications: s.classifications.map((name) => ({ name })),
  };
}
