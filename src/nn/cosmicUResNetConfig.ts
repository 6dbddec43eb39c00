// Plain data (no engine imports): the task's form and the model share it.

/**
 * CosmicTagger's torch UResNet (src/networks/torch/uresnet2D.py) with the options of its
 * network config (src/config/network.py), under upstream's option names and values.
 */
export interface CosmicNetworkConfig {
  bias: boolean;
  normalization: 'batch' | 'none';
  n_initial_filters: number;
  blocks_per_layer: number;
  blocks_deepest_layer: number;
  blocks_final: number;
  depth: number;
  filter_size_deepest: number;
  bottleneck_deepest: number;
  residual: boolean;
  /** true: every plane through the deepest block on its own; false: planes concatenated on channels. */
  block_concat: boolean;
  connections: 'concat' | 'sum' | 'none';
  growth_rate: 'additive' | 'multiplicative';
  downsampling: 'max_pooling' | 'convolutional';
  /** interpolation = bilinear ×2 (align_corners=False) + 1×1 block; convolutional = 2×2 stride-2 transposed conv. */
  upsampling: 'interpolation' | 'convolutional';
  /**
   * Ours, not one of upstream's options: activation checkpointing. Backward re-runs each
   * level's forward instead of keeping its activations (src/tensor/checkpoint.ts): the same
   * gradients and running statistics, about 1.5× the step time, a fraction of the memory
   * (BENCHMARKS.md). Off (absent) in the presets; needed for full resolution.
   */
  checkpoint?: boolean;
}

/** Upstream's `UResNet` network config defaults (network=uresnet). */
export const UPSTREAM_URESNET: CosmicNetworkConfig = {
  bias: true,
  normalization: 'batch',
  n_initial_filters: 16,
  blocks_per_layer: 2,
  blocks_deepest_layer: 5,
  blocks_final: 5,
  depth: 6,
  filter_size_deepest: 5,
  bottleneck_deepest: 256,
  residual: true,
  block_concat: false,
  connections: 'concat',
  growth_rate: 'additive',
  downsampling: 'max_pooling',
  upsampling: 'interpolation',
};

/** Same layer types as upstream's default (batch norm, bilinear, leaky ReLU), small enough for CI. */
export const SMALL_URESNET: CosmicNetworkConfig = {
  ...UPSTREAM_URESNET,
  n_initial_filters: 8,
  blocks_per_layer: 1,
  blocks_deepest_layer: 1,
  blocks_final: 1,
  depth: 2,
  filter_size_deepest: 3,
  bottleneck_deepest: 32,
};

export function checkNetworkConfig(cfg: CosmicNetworkConfig): void {
  const whole = (k: keyof CosmicNetworkConfig, min: number) => {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`network.${k} must be a whole number ≥ ${min}, got ${v}`);
  };
  whole('depth', 0);
  whole('n_initial_filters', 1);
  whole('blocks_per_layer', 0);
  whole('blocks_deepest_layer', 0);
  whole('blocks_final', 0);
  whole('bottleneck_deepest', 1);
  whole('filter_size_deepest', 1);
  if (cfg.filter_size_deepest % 2 !== 1)
    throw new Error(`network.filter_size_deepest must be odd ("same" padding (k - 1) / 2), got ${cfg.filter_size_deepest}`);
  const oneOf = (k: keyof CosmicNetworkConfig, allowed: readonly string[]) => {
    if (!allowed.includes(String(cfg[k]))) throw new Error(`network.${k} must be one of ${allowed.join(', ')}, got "${cfg[k]}"`);
  };
  oneOf('normalization', ['batch', 'none']);
  oneOf('connections', ['concat', 'sum', 'none']);
  oneOf('growth_rate', ['additive', 'multiplicative']);
  oneOf('downsampling', ['max_pooling', 'convolutional']);
  oneOf('upsampling', ['interpolation', 'convolutional']);
}
