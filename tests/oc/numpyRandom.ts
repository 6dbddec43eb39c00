/**
 * numpy's default_rng (SeedSequence → PCG64 XSL-RR 128/64) and the three draws upstream's
 * test generator uses (random(), choice(arange(n)) via Lemire's bounded integers), so that
 * upstream's pinned test event can be rebuilt bit for bit. Written from numpy's documented
 * algorithms; checked against numpy's first outputs in numpyRandom.test.ts.
 */
const M32 = 0xffffffffn;
const M64 = (1n << 64n) - 1n;
const M128 = (1n << 128n) - 1n;
const PCG_MULT = (2549297995355413924n << 64n) + 4865540595714422341n;

/** SeedSequence(entropy).generate_state(nWords, uint32) for a non-negative integer entropy. */
export function seedSequenceState(entropy: number, nWords: number): number[] {
  const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
  let hashA = 0x43b0d7e5;
  const hashmix = (value: number) => {
    value = (value ^ hashA) >>> 0;
    hashA = mul(hashA, 0x931e8875);
    value = mul(value, hashA);
    return (value ^ (value >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number) => {
    const r = (mul(0xca01f9dd, x) - mul(0x4973f715, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const words: number[] = [];
  let v = BigInt(entropy);
  do {
    words.push(Number(v & M32));
    v >>= 32n;
  } while (v > 0n);
  const pool = [0, 0, 0, 0].map((_, i) => hashmix(i < words.length ? words[i] : 0));
  for (let s = 0; s < 4; s++) for (let d = 0; d < 4; d++) if (s !== d) pool[d] = mix(pool[d], hashmix(pool[s]));
  for (let s = 4; s < words.length; s++) for (let d = 0; d < 4; d++) pool[d] = mix(pool[d], hashmix(words[s]));
  let hashB = 0x8b51f9dd;
  const out: number[] = [];
  for (let i = 0; i < nWords; i++) {
    let x = (pool[i % 4] ^ hashB) >>> 0;
    hashB = mul(hashB, 0x58f38ded);
    x = mul(x, hashB);
    out.push((x ^ (x >>> 16)) >>> 0);
  }
  return out;
}

export class NumpyPcg64 {
  private state: bigint;
  private inc: bigint;
  private spare: number | null = null;

  constructor(seed: number) {
    const w = seedSequenceState(seed, 8).map(BigInt);
    const u64 = (i: number) => w[2 * i] | (w[2 * i + 1] << 32n);
    const initState = (u64(0) << 64n) | u64(1);
    const initSeq = (u64(2) << 64n) | u64(3);
    this.inc = ((initSeq << 1n) | 1n) & M128;
    this.state = 0n;
    this.step();
    this.state = (this.state + initState) & M128;
    this.step();
  }

  private step(): void {
    this.state = (this.state * PCG_MULT + this.inc) & M128;
  }

  nextUint64(): bigint {
    this.step();
    const s = this.state;
    const x = ((s >> 64n) ^ s) & M64;
    const rot = s >> 122n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & M64;
  }

  nextUint32(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const v = this.nextUint64();
    this.spare = Number(v >> 32n);
    return Number(v & M32);
  }

  /** Generator.random(): 53-bit double in [0, 1). */
  random(): number {
    return Number(this.nextUint64() >> 11n) / 9007199254740992;
  }

  /** Generator.choice(arange(n)) / integers(0, n) for n ≤ 2^32: Lemire's method on 32-bit draws. */
  integer(n: number): number {
    const range = BigInt(n);
    let m = BigInt(this.nextUint32()) * range;
    let leftover = m & M32;
    if (leftover < range) {
      const threshold = ((1n << 32n) - range) % range;
      while (leftover < threshold) {
        m = BigInt(this.nextUint32()) * range;
        leftover = m & M32;
      }
    }
    return Number(m >> 32n);
  }
}

/** upstream tests/loss_test_cases.py generate_test_data(): default_rng(0), in its draw order. */
export function upstreamTestEvent(nHits = 1000, nObjects = 250, d = 3, seed = 0) {
  const r = new NumpyPcg64(seed);
  const beta = Float64Array.from({ length: nHits }, () => r.random());
  const x = Float64Array.from({ length: nHits * d }, () => r.random());
  const objectId = Int32Array.from({ length: nHits }, () => r.integer(nObjects));
  return { beta, x, objectId, d, qMin: 1 };
}
