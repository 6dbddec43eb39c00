// `npm run bench:memory`: the e2e setup (Debian's Chromium, WebGPU on SwiftShader, the built app)
// for scripts/bench-memory.spec.ts only, without retries.
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: 'bench-memory.spec.ts',
  retries: 0,
  timeout: 1_800_000,
  // the preview server serves the built app from the repository root, not from scripts/
  webServer: { ...(base.webServer as object), cwd: ROOT } as typeof base.webServer,
});
