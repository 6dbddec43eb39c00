/** WebGPU is missing or refused us a device; the message tells the user what to do. */
export class WebGPUUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `WebGPU is not available: ${reason}. Use a recent Chrome, Edge or Chromium (113+), ` +
        `or Firefox Nightly / Safari Technology Preview with WebGPU enabled. On Linux Chromium ` +
        `start the browser with --enable-unsafe-webgpu (and --enable-features=Vulkan).`,
    );
    this.name = 'WebGPUUnavailableError';
  }
}

/** The GPU device was lost (driver reset, out of memory, tab in background too long). */
export class DeviceLostError extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(`The GPU device was lost (${reason}): ${detail}. Reload the engine to continue.`);
    this.name = 'DeviceLostError';
  }
}
