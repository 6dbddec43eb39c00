/** Seeded PRNG (mulberry32) for reproducible weight initialisation and toy data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller. */
export function normalSampler(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** He (Kaiming) uniform init for a [fanIn, fanOut] weight: keeps ReLU activations O(1). */
export function heUniform(fanIn: number, fanOut: number, rand: () => number): Float32Array {
  const bound = Math.sqrt(6 / fanIn);
  return Float32Array.from({ length: fanIn * fanOut }, () => (2 * rand() - 1) * bound);
}

/** torch.nn.init's fan_in / fan_out of a weight shape: dims 1 and 0 times the receptive field. */
export function fanInOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fan in/out need a weight of rank ≥ 2, got [${shape}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** n draws uniform in [-bound, bound). */
export function uniformInit(n: number, bound: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rand() - 1) * bound);
}

/**
 * torch.nn.init.kaiming_uniform_ (leaky_relu gain with slope a, fan_in mode): bound
 * sqrt(2 / (1 + a²)) · sqrt(3 / fan_in). torch's Conv and Linear default is a = √5, i.e. a
 * bound of 1 / sqrt(fan_in).
 */
export function kaimingUniform(shape: readonly number[], rand: () => number, a = Math.sqrt(5)): Float32Array {
  const gain = Math.sqrt(2 / (1 + a * a));
  return uniformInit(
    shape.reduce((x, y) => x * y, 1),
    gain * Math.sqrt(3 / fanInOut(shape).fanIn),
    rand,
  );
}

/** torch.nn.init.xavier_uniform_: bound gain · sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform(shape: readonly number[], rand: () => number, gain = 1): Float32Array {
  const { fanIn, fanOut } = fanInOut(shape);
  return uniformInit(
    shape.reduce((x, y) => x * y, 1),
    gain * Math.sqrt(6 / (fanIn + fanOut)),
    rand,
  );
}

/** A weight initialiser: values for a tensor of the given (torch-layout) shape. */
export type WeightInit = (shape: readonly number[], rand: () => number) => Float32Array;
