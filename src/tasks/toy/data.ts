import { normalSampler, seededRandom } from '../../nn/init';

/** y = sin(2·x0) + x1² + 0.5·x0·x1 + noise: a smooth regression target for the engine demo. */
export function toyRegression(n: number, seed: number, noise = 0.05) {
  const rand = seededRandom(seed);
  const normal = normalSampler(rand);
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = 2 * rand() - 1;
    const b = 2 * rand() - 1;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = Math.sin(2 * a) + b * b + 0.5 * a * b + noise * normal();
  }
  return { x, y };
}
