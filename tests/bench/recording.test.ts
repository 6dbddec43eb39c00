import { describe, expect, it } from 'vitest';
import { measureRecording } from '../../tools/bench/recording';
import { createGpuContext } from '../../src/gpu/context';
import { nodeGpu } from '../../src/gpu/node';
import { Engine } from '../../src/tensor/engine';

describe('recording figures', () => {
  it('counts the dispatches, bind groups and uploads of a step on each path, and restores the mode', async () => {
    const ctx = await createGpuContext(nodeGpu());
    const e = new Engine(ctx);
    // Three fills per step, each a dispatch with a uniform block.
    const side = {
      step: () => {
        e.scope(() => {
          e.full([64], 2);
          e.full([32], 3);
          e.full([16], 4);
        });
        ctx.submit();
      },
      settle: () => ctx.finish(),
    };
    for (let i = 0; i < 3; i++) side.step();
    ctx.recordingMode = 'perDispatch';
    const r = await measureRecording(ctx, side, 4);
    expect(ctx.recordingMode).toBe('perDispatch');
    expect(r.cached.dispatches).toBe(3);
    expect(r.perDispatch.dispatches).toBe(3);
    expect(r.cached.bindGroupsCreated).toBe(0);
    expect(r.perDispatch.bindGroupsCreated).toBe(3);
    expect(r.cached.uniformWrites).toBe(1);
    expect(r.perDispatch.uniformWrites).toBe(3);
    for (const f of [r.cached, r.perDispatch]) {
      expect(f.dispatchMs).toBeGreaterThan(0);
      expect(f.stepMs).toBeGreaterThanOrEqual(f.dispatchMs);
    }
    expect(ctx.takeErrors()).toEqual([]);
    ctx.destroy();
  });
});
