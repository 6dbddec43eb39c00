import type { FromWorker, ToWorker } from '../protocol';

/** The page's handle on the training worker. */
export class TrainClient {
  private worker: Worker;
  private listeners = new Set<(msg: FromWorker) => void>();

  constructor() {
    this.worker = new Worker(new URL('./trainWorker.ts', import.meta.url), { type: 'module', name: 'training' });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      for (const l of this.listeners) l(ev.data);
    };
    this.worker.onerror = (ev) => {
      for (const l of this.listeners) l({ type: 'error', message: `training worker crashed: ${ev.message}`, fatal: true });
    };
  }

  /** `transfer`: e.g. the MessagePorts of streamed task data (they move to the worker). */
  send(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  on(listener: (msg: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
