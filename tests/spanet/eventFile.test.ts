import { describe, expect, it } from 'vitest';
import { eventDescriptionJson, EventFileError, featureTransform, readEventFile } from '../../src/tasks/spanet/eventFile';
import { eventSpecToYaml, parseEventFile } from '../../src/tasks/spanet/eventSpec';
import { groupFromGenerators, permutationGroup } from '../../src/tasks/spanet/permutations';

// The constructs of upstream's event files and docs/EventInfo.md, written for these tests:
// two sequential inputs and a global one, product sources, explicit cycles, complete sets,
// typed and nested regressions, nested classifications, upstream's spellings.
const RICH = `# comment
INPUTS:
  SEQUENTIAL:
    Jets:
      mass: Log_Normalize
      pt: LOG_NORMALIZE
      eta: Normalize
      btag: None
    Leptons:
      pt: log
      eta: normalize
  GLOBAL:
    Met:
      met: log_normalize
      phi: normalize

EVENT:
  lt:
    - b: Jets
    - l: Leptons
  ht:
    - b: Jets
    - q1: Jets
    - q2: Jets
  h:
    - b1
    - b2

PERMUTATIONS:
  EVENT:
    - [[lt, h]]
  ht:
    - [ q1, q2 ]
  h:
    - [b1, b2]

REGRESSIONS:
  EVENT:
    - neutrino_px
    - [log_invariant_mass, log_gaussian]
    - [met_resolution, laplacian]
  ht:
    PARTICLE:
      - mass
    b:
      - [energy, log_gaussian]
  lt:
    - PARTICLE:
        - pt

CLASSIFICATIONS:
  EVENT:
    - signal
  h:
    PARTICLE:
      - decay_mode
`;

const BASE = (perms: string) => `INPUTS:
  SEQUENTIAL:
    Jets:
      pt: none
EVENT:
  a: [x]
  b: [x]
  c: [x]
  d: [x]
  e:
    - p
    - q
    - r
PERMUTATIONS:
${perms}
`;

const fails = (text: string): EventFileError => {
  try {
    readEventFile(text);
  } catch (e) {
    if (e instanceof EventFileError) return e;
    throw e;
  }
  throw new Error('expected an EventFileError');
};

describe('event file (yaml package, upstream semantics)', () => {
  it('reads several sequential inputs, global inputs, product sources and spellings', () => {
    const s = readEventFile(RICH);
    expect(s.inputs.map((i) => [i.name, i.kind, i.features.map((f) => f.transform)])).toEqual([
      ['Jets', 'sequential', ['log_normalize', 'log_normalize', 'normalize', 'none']],
      ['Leptons', 'sequential', ['log', 'normalize']],
      ['Met', 'global', ['log_normalize', 'normalize']],
    ]);
    expect(s.particles.map((p) => [p.name, p.products, p.productSources])).toEqual([
      ['lt', ['b', 'l'], ['Jets', 'Leptons']],
      ['ht', ['b', 'q1', 'q2'], ['Jets', 'Jets', 'Jets']],
      ['h', ['b1', 'b2'], [null, null]],
    ]);
    expect(s.particles[1].productPerms).toEqual([
      [0, 1, 2],
      [0, 2, 1],
    ]);
    expect(s.eventGenerators).toEqual([[['lt', 'h']]]);
    expect(s.eventPerms).toEqual([
      [0, 1, 2],
      [2, 1, 0],
    ]);
  });

  it('reads typed and nested regressions and classifications in upstream order', () => {
    const s = readEventFile(RICH);
    expect(s.regressions.map((r, i) => `${r}:${s.regressionKinds[i]}`)).toEqual([
      'EVENT/neutrino_px:gaussian',
      'EVENT/log_invariant_mass:log_gaussian',
      'EVENT/met_resolution:laplacian',
      'lt/PARTICLE/pt:gaussian',
      'ht/PARTICLE/mass:gaussian',
      'ht/b/energy:log_gaussian',
    ]);
    expect(s.classifications).toEqual(['EVENT/signal', 'h/PARTICLE/decay_mode']);
  });

  it('overlapping complete sets generate the full symmetric group (S3, not a pair swap)', () => {
    const s = readEventFile(BASE('  EVENT:\n    - [a, b]\n    - [b, c]'));
    expect(s.eventPerms).toHaveLength(6);
    expect(s.eventPerms.every((p) => p[3] === 3 && p[4] === 4)).toBe(true);
    expect(s.eventPerms[0]).toEqual([0, 1, 2, 3, 4]);
  });

  it('explicit cycles: a simultaneous swap differs from two independent ones', () => {
    expect(readEventFile(BASE('  EVENT:\n    - [[a, b], [c, d]]')).eventPerms).toEqual([
      [0, 1, 2, 3, 4],
      [1, 0, 3, 2, 4],
    ]);
    expect(readEventFile(BASE('  EVENT:\n    - [[a, b]]\n    - [[c, d]]')).eventPerms).toHaveLength(4);
    // a 3-cycle generates the cyclic group C3, not S3
    const c3 = readEventFile(BASE('  e:\n    - [[p, q, r]]')).particles[4].productPerms;
    expect(c3).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
    ]);
    // a complete set of three is S3
    expect(readEventFile(BASE('  e:\n    - [p, q, r]')).particles[4].productPerms).toHaveLength(6);
  });

  it('group closure agrees with brute force on a product of disjoint sets', () => {
    expect(
      permutationGroup(4, [
        [0, 1],
        [2, 3],
      ]),
    ).toEqual([
      [0, 1, 2, 3],
      [0, 1, 3, 2],
      [1, 0, 2, 3],
      [1, 0, 3, 2],
    ]);
    expect(groupFromGenerators(4, [[[0, 1, 2, 3]]])).toHaveLength(4);
    expect(groupFromGenerators(4, [[[0, 1, 2, 3]], [[0, 1]]])).toHaveLength(24);
  });

  it('upstream transform spellings', () => {
    expect(['log_normalize', 'Log_Normalize', 'normalize', 'True', 'none', 'False', 'log', 'LOG'].map(featureTransform)).toEqual([
      'log_normalize',
      'log_normalize',
      'normalize',
      'normalize',
      'none',
      'none',
      'log',
      'log',
    ]);
    expect(featureTransform('sqrt')).toBeNull();
  });

  it('reports the line and the problem', () => {
    expect(fails(BASE('  EVENT:\n    - [a, z]')).message).toMatch(/^line 16: PERMUTATIONS\/EVENT names "z"/);
    expect(fails(BASE('  e:\n    - [[p, q], [q, r]]')).message).toMatch(/^line 16: .*disjoint/);
    expect(fails(BASE('  f:\n    - [a, b]')).message).toMatch(/^line 15: PERMUTATIONS\/f: not EVENT/);
    expect(fails(RICH.replace('[met_resolution, laplacian]', '[met_resolution, cauchy]')).message).toMatch(
      /^line 41: .*unknown regression type "cauchy"/,
    );
    expect(fails(RICH.replace('- b: Jets\n    - l', '- b: Muons\n    - l')).message).toMatch(/^line 19: EVENT\/lt\/b comes from "Muons"/);
    expect(fails(RICH.replace('eta: Normalize', 'eta: sqrt')).message).toMatch(/^line 7: feature Jets\/eta has the option "sqrt"/);
    expect(fails(RICH.replace('eta: Normalize', 'eta:')).message).toMatch(/^line 7: feature Jets\/eta has no preprocessing option/);
    expect(fails(RICH.replace('  ht:\n    PARTICLE', '  ht:\n    top:\n      - x\n    PARTICLE')).message).toMatch(
      /^line 43: REGRESSIONS\/ht\/top: not PARTICLE/,
    );
    expect(fails('INPUTS:\n  SEQUENTIAL:\n    J:\n      pt: none\n      pt: log\nEVENT:\n  t: [b]\n').message).toMatch(
      /^line 5: .*[Uu]nique/,
    );
    expect(fails('INPUTS:\n  SEQUENTIAL: [oops\nEVENT:\n').line).toBeGreaterThan(0);
  });

  it('the JSON description and a round trip through the writer', () => {
    const s = readEventFile(RICH);
    const j = eventDescriptionJson(s);
    expect(j.inputs[1]).toEqual({
      name: 'Leptons',
      kind: 'sequential',
      features: [
        { name: 'pt', transform: 'log' },
        { name: 'eta', transform: 'normalize' },
      ],
    });
    expect(j.particles[0]).toMatchObject({ name: 'lt', products: ['b', 'l'], permutations: [[0, 1]] });
    expect(j.regressions[1]).toEqual({ name: 'EVENT/log_invariant_mass', kind: 'log_gaussian' });
    expect(j.event_permutations).toEqual(s.eventPerms);
    expect(readEventFile(eventSpecToYaml(s))).toEqual(s);
  });

  it('the model checks stay separate: several sequential inputs parse but do not build', () => {
    expect(() => parseEventFile(RICH)).toThrow(/exactly one sequential input/);
  });
});
