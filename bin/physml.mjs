#!/usr/bin/env node
// The `physml` command: runs the TypeScript CLI (src/cli/main.ts) without a build step.
// tsx compiles TypeScript on import; the raw loader turns the engine's `x.wgsl?raw` imports
// into strings, as Vite does in the app. Registered in this order so `?raw` is seen first.
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
await import('../scripts/raw-loader.mjs');
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
