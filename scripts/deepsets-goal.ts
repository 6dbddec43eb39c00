/**
 * Measures the steps a Deep Set needs to reach test MSE < 0.1 on the seed's toy problem
 * (100 training sets, 100 test sets), in Node on Dawn (SwiftShader without a GPU).
 *
 *   npx tsx scripts/deepsets-goal.ts [--config '{"phiWidth":64}'] [--max-steps 3000] [--eval-every 10] [--lr 1e-3]
 *
 * Vite's SSR loader runs the engine modules so their `?raw` WGSL imports resolve as in the app.
 */
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<number> {
  const config = JSON.parse(arg('config', '{}'));
  const maxSteps = Number(arg('max-steps', '3000'));
  const evalEvery = Number(arg('eval-every', '10'));
  const lr = Number(arg('lr', '1e-3'));
  const root = fileURLToPath(new URL('..', import.meta.url));
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'warn',
    cacheDir: 'node_modules/.vite-deepsets-goal',
    server: { middlewareMode: true, hmr: false, watch: null },
    appType: 'custom',
  });
  try {
    const { nodeGpuContext } = await server.ssrLoadModule('/src/gpu/node.ts');
    const { Engine } = await server.ssrLoadModule('/src/tensor/engine.ts');
    const { trainToTarget } = await server.ssrLoadModule('/src/tasks/deepsets/goal.ts');
    const engine = new Engine(await nodeGpuContext());
    process.stderr.write(`adapter: ${engine.gpu.adapter.description || engine.gpu.adapter.vendor}\n`);
    const result = await trainToTarget(engine, config, {
      target: 0.1,
      maxSteps,
      evalEvery,
      lr,
      onEval: (step: number, mse: number, train: number, ms: number) =>
        process.stderr.write(`step ${step}: test MSE ${mse.toFixed(4)}, train loss ${train.toFixed(4)}, ${(ms / 1000).toFixed(0)} s\n`),
    });
    process.stdout.write(`${JSON.stringify({ config, lr, evalEvery, ...result, history: undefined }, null, 1)}\n`);
    return result.stepsToTarget === null ? 1 : 0;
  } finally {
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  },
);
