import { describe, expect, it } from 'vitest';
import { eventSpecToYaml, inferEventSpec, parseEventFile, permutationGroup } from '../../src/tasks/spanet/eventSpec';
import { canonical, greedyAssignment, matchEvent } from '../../src/tasks/spanet/reconstruct';
import { TTBAR_EVENT_YAML } from '../../src/tasks/spanet/synthetic';

// The shape of SPANet's semi-leptonic ttH event file: comments, blank lines inside maps,
// sequences at the key's indentation, flow lists, empty sections.
const TTH_YAML = `INPUTS:
  SEQUENTIAL:
    Momenta:
      mass: log_normalize
      pt: log_normalize

      eta: normalize
      btag: none   # b-tagging
  # global inputs
  GLOBAL:
    Met:
      met: log_normalize
      sin_phi: normalize
EVENT:
  lt:
    - b
  ht:
  - b
  - q1
  - q2
  h:
    - b1
    - b2
PERMUTATIONS:
    ht:
      - [ q1, q2 ]
    h:
      - [b1, b2]
REGRESSIONS:
  EVENT:
    - neutrino_px
    - log_invariant_mass
CLASSIFICATIONS:
  EVENT:
    - signal
`;

describe('event file', () => {
  it("reads SPANet's ttH description: inputs, particles, symmetries, heads", () => {
    const s = parseEventFile(TTH_YAML);
    expect(s.inputs.map((i) => [i.name, i.kind, i.features.map((f) => `${f.name}:${f.transform}`)])).toEqual([
      ['Momenta', 'sequential', ['mass:log_normalize', 'pt:log_normalize', 'eta:normalize', 'btag:none']],
      ['Met', 'global', ['met:log_normalize', 'sin_phi:normalize']],
    ]);
    expect(s.particles.map((p) => [p.name, p.products, p.productPerms])).toEqual([
      ['lt', ['b'], [[0]]],
      [
        'ht',
        ['b', 'q1', 'q2'],
        [
          [0, 1, 2],
          [0, 2, 1],
        ],
      ],
      [
        'h',
        ['b1', 'b2'],
        [
          [0, 1],
          [1, 0],
        ],
      ],
    ]);
    expect(s.eventPerms).toEqual([[0, 1, 2]]);
    expect(s.regressions).toEqual(['EVENT/neutrino_px', 'EVENT/log_invariant_mass']);
    expect(s.classifications).toEqual(['EVENT/signal']);
    // round trip through the writer
    expect(parseEventFile(eventSpecToYaml(s))).toEqual(s);
  });
  it('the tt̄ description has the t1 ↔ t2 event symmetry', () => {
    const s = parseEventFile(TTBAR_EVENT_YAML);
    expect(s.eventPerms).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(s.inputs.filter((i) => i.kind === 'global')).toEqual([]);
  });
  it('reports inconsistent descriptions', () => {
    expect(() => parseEventFile(TTBAR_EVENT_YAML.replace('phi: normalize', 'phi: sqrt'))).toThrow(
      /line 7: feature Source\/phi has the option "sqrt"/,
    );
    expect(() => parseEventFile(TTBAR_EVENT_YAML.replace('- [ q1, q2 ]', '- [ q1, q3 ]'))).toThrow(/"q3"/);
  });
  it('infers defaults from a file layout like SPANet’s examples', () => {
    const s = inferEventSpec({
      sources: [{ name: 'Source', kind: 'sequential', features: ['btag', 'eta', 'mass', 'phi', 'pt'] }],
      targets: [
        { particle: 't1', products: ['b', 'q1', 'q2'] },
        { particle: 't2', products: ['b', 'q1', 'q2'] },
      ],
      regressions: [],
      classifications: [],
    });
    expect(s.inputs[0].features.map((f) => f.transform)).toEqual(['none', 'normalize', 'log_normalize', 'normalize', 'log_normalize']);
    expect(s.particles[0].productPerms).toEqual([
      [0, 1, 2],
      [0, 2, 1],
    ]);
    expect(s.eventPerms).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });
  it('permutation groups keep each symmetric set to itself', () => {
    expect(permutationGroup(3, [[0, 2]])).toEqual([
      [0, 1, 2],
      [2, 1, 0],
    ]);
    expect(permutationGroup(3, [[0, 1, 2]])).toHaveLength(6);
  });
});

describe('reconstruction (greedy, non-overlapping)', () => {
  it('takes the most probable assignment first and removes its jets from the others', () => {
    const N = 4;
    // particle A (pair): best (0,1) p=.6; particle B (singlet): best jet 1 p=.5, then jet 3 p=.3
    const a = new Float64Array(N * N);
    a[0 * N + 1] = 0.6;
    a[2 * N + 3] = 0.4;
    const b = new Float64Array(N);
    b[1] = 0.5;
    b[3] = 0.3;
    b[2] = 0.2;
    expect(greedyAssignment([a, b], [2, 1], N)).toEqual([[0, 1], [3]]);
    // if B's jet is more probable than A's pair, B goes first and A must avoid jet 1
    b[1] = 0.9;
    expect(greedyAssignment([a, b], [2, 1], N)).toEqual([[2, 3], [1]]);
  });
  it('matches truth up to product and event symmetries', () => {
    const s = parseEventFile(TTBAR_EVENT_YAML);
    expect(canonical([4, 2, 1], s.particles[0].productPerms)).toBe(canonical([4, 1, 2], s.particles[0].productPerms));
    const truth = [
      [0, 1, 2],
      [3, 4, 5],
    ];
    expect(
      matchEvent(
        [
          [3, 5, 4],
          [0, 2, 1],
        ],
        truth,
        s,
      ),
    ).toMatchObject({ complete: 2, correct: 2 });
    expect(
      matchEvent(
        [
          [3, 5, 4],
          [1, 2, 0],
        ],
        truth,
        s,
      ),
    ).toMatchObject({ complete: 2, correct: 1 });
    expect(matchEvent([[3, 5, 4], null], [null, [3, 4, 5]], s)).toMatchObject({ complete: 1, correct: 1 });
  });
});
