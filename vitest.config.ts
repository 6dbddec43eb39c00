import { defineConfig } from 'vitest/config';

// Dawn (npm `webgpu`) finds SwiftShader through the Vulkan loader. Forked test
// processes inherit this environment, so it must be set here in the main process.
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
