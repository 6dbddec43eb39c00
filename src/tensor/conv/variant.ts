/**
 * What one implicit-GEMM conv2d pipeline is compiled for (see wgsl.ts). The three products
 * of a convolution, each C[M, N] = Σ_k A[M, k] · B[k, N] with one operand gathered from an
 * image on the fly (zero padding by predicate, no im2col buffer):
 *
 *  - forward:     M = Cout, N = batch·Ho·Wo, K = Cin·k·k; A = w, B = x windows.
 *  - inputGrad:   M = Cin,  N = batch·H·W,   K = Cout·k·k; A = w (transposed taps), B = dy
 *                 gathered at (iy + pad − ky) / s (a tap whose division is not exact is 0).
 *  - weightGrad:  M = Cout, N = Cin·k·k,     K = batch·Ho·Wo; A = dy, B = x windows; split-K
 *                 partial products, summed by a deterministic reduction.
 */
export type ConvGemmKind = 'forward' | 'inputGrad' | 'weightGrad';

/** Threads of a workgroup (wgX × wgY) and the block of C each thread owns (tm rows × tn columns). */
export interface ConvTile {
  wgX: number;
  wgY: number;
  tm: number;
  tn: number;
}

export interface ConvGemmVariant {
  kind: ConvGemmKind;
  /**
   * Stride is compile-time (divisions by s fold). The kernel size is a uniform: with
   * constant tap bounds SwiftShader unrolls the taps and a 4×8 block took ~30 s to compile.
   */
  stride: number;
  bias: boolean;
  tile: ConvTile;
}

export const convTileRows = (t: ConvTile) => t.wgY * t.tm;
export const convTileCols = (t: ConvTile) => t.wgX * t.tn;

export function convTileName(t: ConvTile): string {
  return `r${t.wgX}x${t.wgY}-${t.tm}x${t.tn}`;
}

/** Pipeline cache key and the profiler's kernel label. */
export function convVariantName(v: ConvGemmVariant): string {
  return `conv2dGemm[${v.kind};s${v.stride}${v.bias ? '+b' : ''};${convTileName(v.tile)}]`;
}
