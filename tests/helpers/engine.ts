import { nodeGpuContext } from '../../src/gpu/node';
import { Engine } from '../../src/tensor/engine';

let engine: Engine | null = null;

/** One engine per test process on Dawn/SwiftShader, with the app's device limits. */
export async function testEngine(): Promise<Engine> {
  engine ??= new Engine(await nodeGpuContext());
  return engine;
}
