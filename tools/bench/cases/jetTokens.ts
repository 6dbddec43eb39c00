/** Host-side jet tokens for the SPANet encoder case, in our row layout and in tfjs's [events, tokens] layout. */

export interface JetTokens {
  /** Our layout: B·N jet rows (b·N + t), then B event rows; features [jet | global | is-jet | is-event]. */
  tokens: Float32Array;
  /** [B, N + 1]: 1 for present jets and the event token. */
  mask: Uint32Array;
  tokenWidth: number;
}

/** Events with 2..N jets (uniform), jet and global features uniform in [−1, 1), padding rows zero. */
export function syntheticJetTokens(B: number, N: number, D: number, G: number, rand: () => number): JetTokens {
  const width = D + G + 2;
  const tokens = new Float32Array((B * N + B) * width);
  const mask = new Uint32Array(B * (N + 1));
  for (let b = 0; b < B; b++) {
    const jets = Math.min(N, 2 + Math.floor(rand() * (N - 1)));
    for (let t = 0; t < jets; t++) {
      const row = (b * N + t) * width;
      for (let f = 0; f < D; f++) tokens[row + f] = 2 * rand() - 1;
      tokens[row + D + G] = 1;
      mask[b * (N + 1) + t] = 1;
    }
    const ev = (B * N + b) * width;
    for (let f = 0; f < G; f++) tokens[ev + D + f] = 2 * rand() - 1;
    tokens[ev + D + G + 1] = 1;
    mask[b * (N + 1) + N] = 1;
  }
  return { tokens, mask, tokenWidth: width };
}

/** Our token rows → [B, N + 1, width] with token N the event token (the mask's order). */
export function eventMajorTokens(tokens: Float32Array, B: number, N: number, width: number): Float32Array {
  const out = new Float32Array(tokens.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t <= N; t++) {
      const src = t < N ? b * N + t : B * N + b;
      out.set(tokens.subarray(src * width, (src + 1) * width), (b * (N + 1) + t) * width);
    }
  }
  return out;
}
