/**
 * The Node host: Dawn through the npm package `webgpu`. The object returned by create()
 * must stay referenced for the life of the process or Node can crash at exit.
 */
import { create, globals } from 'webgpu';
import { createGpuContext, type GpuContext } from './context';

const holder = globalThis as unknown as { __dawnGpu?: GPU; __nodeGpuContext?: Promise<GpuContext> };

export function nodeGpu(): GPU {
  if (!holder.__dawnGpu) {
    process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    Object.assign(globalThis, globals);
    holder.__dawnGpu = create([]);
  }
  return holder.__dawnGpu;
}

/** One shared context per process. */
export function nodeGpuContext(): Promise<GpuContext> {
  holder.__nodeGpuContext ??= (async () => {
    const gpu = nodeGpu();
    return createGpuContext(gpu);
  })();
  return holder.__nodeGpuContext;
}
