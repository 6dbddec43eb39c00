import { describe, expect, it } from 'vitest';
import { wrapTitle } from '../../src/ui/plots/wrapTitle';

describe('wrapTitle', () => {
  it('keeps a short title on one line', () => {
    expect(wrapTitle('event purity by jets', 40)).toEqual({ text: 'event purity by jets', lines: 1 });
  });
  it('breaks at spaces so that no line is longer than the width', () => {
    const t = 'test set confusion (rows: true class, normalised; counts in brackets)';
    const w = wrapTitle(t, 30);
    const lines = w.text.split('<br>');
    expect(w.lines).toBe(lines.length);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(30);
    expect(lines.join(' ')).toBe(t);
  });
  it('leaves a word longer than the width whole on its own line', () => {
    expect(wrapTitle('a supercalifragilistic b', 5).text).toBe('a<br>supercalifragilistic<br>b');
  });
});
