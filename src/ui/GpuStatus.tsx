import { useTrainStore } from '../state/trainStore';

/** Says which GPU the workbench runs on, or plainly why it cannot run. */
export function GpuStatus() {
  const gpu = useTrainStore((s) => s.gpu);
  const adapter = useTrainStore((s) => s.adapter);
  const errors = useTrainStore((s) => s.errors);
  if (gpu === 'unavailable') {
    return (
      <div className="banner error" data-testid="webgpu-missing" role="alert">
        <b>WebGPU is not available in this browser.</b> Training runs on your GPU through WebGPU. Use a recent Chrome, Edge or Chromium
        (version 113 or later). On Linux, start Chromium with
        <code> --enable-unsafe-webgpu --enable-features=Vulkan</code>; in Firefox Nightly set
        <code> dom.webgpu.enabled</code>; in Safari enable WebGPU under Develop → Feature Flags. File loading and inspection still work.
        {errors.length > 0 && <div className="muted">detail: {errors[0]}</div>}
      </div>
    );
  }
  if (gpu === 'unknown')
    return (
      <span className="badge" data-testid="gpu-status">
        looking for a GPU…
      </span>
    );
  const name = [adapter?.vendor, adapter?.architecture, adapter?.description].filter(Boolean).join(' / ') || 'WebGPU adapter';
  return (
    <span className="badge ok" data-testid="gpu-status" title={JSON.stringify(adapter?.limits, null, 1)}>
      GPU: <span data-testid="gpu-adapter">{name}</span>
    </span>
  );
}
