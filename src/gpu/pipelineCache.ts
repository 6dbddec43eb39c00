export interface KernelSource {
  /** Shader file name, for messages and cache keys. */
  name: string;
  code: string;
}

/** Compiles each (shader, entry point) once; pipelines use the shader's own ('auto') layout. */
export class PipelineCache {
  private modules = new Map<string, GPUShaderModule>();
  private pipelines = new Map<string, GPUComputePipeline>();

  constructor(private device: GPUDevice) {}

  get(src: KernelSource, entryPoint: string): GPUComputePipeline {
    const key = `${src.name}#${entryPoint}`;
    let pipe = this.pipelines.get(key);
    if (pipe) return pipe;
    let module = this.modules.get(src.name);
    if (!module) {
      module = this.device.createShaderModule({ code: src.code, label: src.name });
      this.modules.set(src.name, module);
    }
    pipe = this.device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint },
      label: key,
    });
    this.pipelines.set(key, pipe);
    return pipe;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
