/** Upstream's option spellings, read the way its factories read them (case, `_` and spaces ignored). */
import type { SpanetOptions } from '../../tasks/spanet/options';

export const optionWord = (o: SpanetOptions, name: string): string => String(o[name]).toLowerCase().replace(/[_ ]/g, '');
export const optionInt = (o: SpanetOptions, name: string): number => Number(o[name]);
export const optionBool = (o: SpanetOptions, name: string): boolean => o[name] === true || o[name] === 'true' || o[name] === 1;

/** Deterministic stand-in draws for initial weights; a loaded state dict replaces them all. */
export function seededRand(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Refuses a path this port does not implement yet rather than silently computing another network. */
export function requireWord(o: SpanetOptions, name: string, supported: string[]): string {
  const w = optionWord(o, name);
  if (!supported.includes(w))
    throw new Error(`upstream SPANet network: ${name} = ${String(o[name])} is not implemented (supported: ${supported.join(', ')})`);
  return w;
}
