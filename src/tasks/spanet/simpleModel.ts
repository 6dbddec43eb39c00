import type { Engine } from '../../tensor/engine';
import { seededRandom } from '../../nn/init';
import { SpanetModel } from '../../nn/spanet';
import type { EventSpec } from './eventSpec';
import type { SpanetConfig } from './spec';

/** The workbench's small SPANet ('simple') for an event description, the same for in-memory and streamed runs. */
export function simpleSpanetModel(
  engine: Engine,
  c: SpanetConfig,
  spec: EventSpec,
  tokenWidth: number,
  classCounts: number[],
): SpanetModel {
  return new SpanetModel(
    engine,
    {
      tokenWidth,
      width: c.width,
      layers: c.layers,
      heads: c.heads,
      ffWidth: 2 * c.width,
      assignDim: c.assignDim,
      particles: spec.particles.map((p) => ({ name: p.name, k: p.products.length, perms: p.productPerms })),
      regressions: spec.regressions.length,
      classCounts,
    },
    seededRandom(c.seed),
  );
}
