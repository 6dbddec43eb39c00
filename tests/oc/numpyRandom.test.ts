/**
 * The numpy generator port against outputs printed by numpy 1.24 (np.random.default_rng),
 * so that upstream's pinned test event is rebuilt exactly.
 */
import { describe, expect, it } from 'vitest';
import { NumpyPcg64, seedSequenceState, upstreamTestEvent } from './numpyRandom';

describe('numpy default_rng port', () => {
  it('SeedSequence(0).generate_state(8)', () => {
    expect(seedSequenceState(0, 8)).toEqual([2968811710, 3677149159, 745650761, 2884920346, 2642120001, 549907821, 574372308, 742431198]);
  });

  it('random() and integers()', () => {
    const r = new NumpyPcg64(0);
    expect([r.random(), r.random(), r.random()]).toEqual([0.6369616873214543, 0.2697867137638703, 0.04097352393619469]);
    const s = new NumpyPcg64(12345);
    expect([s.random(), s.random()]).toEqual([0.22733602246716966, 0.31675833970975287]);
    expect(Array.from({ length: 5 }, () => s.integer(7))).toEqual([1, 5, 4, 4, 6]);
  });

  it("upstream's generate_test_data()", () => {
    const ev = upstreamTestEvent();
    expect(ev.beta[999]).toBe(0.3800078966332565);
    expect(Array.from(ev.x.slice(2997))).toEqual([0.9558064047948812, 0.050413897350451986, 0.19156880217186156]);
    expect(Array.from(ev.objectId.slice(0, 10))).toEqual([140, 150, 146, 128, 217, 114, 212, 217, 127, 200]);
    expect(Array.from(ev.objectId.slice(995))).toEqual([81, 124, 161, 83, 182]);
  });
});
