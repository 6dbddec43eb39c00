/**
 * SPANet options overrides that shrink upstream's example networks to the smallest of each
 * part (every width 8 or 4, one layer per stack), so a few steps run quickly on SwiftShader;
 * every other option stays the options file's. Tests add what they vary (batch size, …).
 */
export const TINY_SPANET_NETWORK = {
  hidden_dim: 8,
  transformer_dim: 8,
  initial_embedding_dim: 4,
  position_embedding_dim: 4,
  num_embedding_layers: 1,
  num_encoder_layers: 1,
  num_branch_embedding_layers: 1,
  num_branch_encoder_layers: 1,
  num_jet_encoder_layers: 1,
  num_detector_layers: 1,
  num_regression_layers: 1,
  num_classification_layers: 1,
} as const;
