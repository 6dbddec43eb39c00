// Lets Node import Vite-style `?raw` specifiers (WGSL sources) as a default-exported string,
// so the CLI and benchmarks run the app's engine code unchanged:
//   npx tsx --import ./scripts/raw-loader.mjs src/cli/oc-loss.ts event.json
import { register } from 'node:module';

if (!globalThis.__rawLoaderRegistered) {
  globalThis.__rawLoaderRegistered = true;
  register(new URL('./raw-loader-hooks.mjs', import.meta.url));
}
