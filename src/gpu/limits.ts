/**
 * The limits the engine asks for, the same in the app, the worker, tests and the CLI,
 * so that a kernel that passes its tests also fits the browser. Chromium exposes 10
 * storage buffers per stage on SwiftShader where Dawn in Node exposes 12; we cap at 10.
 */
export const ENGINE_LIMIT_CAPS = {
  maxStorageBuffersPerShaderStage: 10,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxStorageBufferBindingSize: 2 ** 31 - 4,
  maxBufferSize: 2 ** 31 - 4,
  maxComputeWorkgroupsPerDimension: 65535,
} as const;

/** Minimums below which the engine's kernels cannot run at all. */
export const ENGINE_LIMIT_MINIMUMS = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16384,
} as const;

export function engineLimits(adapter: GPUAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, cap] of Object.entries(ENGINE_LIMIT_CAPS)) {
    const have = (adapter.limits as unknown as Record<string, number>)[name];
    out[name] = Math.min(have, cap);
  }
  return out;
}

export function missingLimits(adapter: GPUAdapter): string[] {
  const missing: string[] = [];
  for (const [name, min] of Object.entries(ENGINE_LIMIT_MINIMUMS)) {
    const have = (adapter.limits as unknown as Record<string, number>)[name];
    if (have < min) missing.push(`${name}: need ${min}, adapter has ${have}`);
  }
  return missing;
}
