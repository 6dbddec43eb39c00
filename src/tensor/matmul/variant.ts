/**
 * What a specialised matmul pipeline is compiled for. Every field is fixed in the WGSL
 * text (see wgsl.ts), so the kernel has no run-time branch on transposes, epilogue or
 * layout: one pipeline per distinct variant, compiled once and cached.
 */
import type { Activation } from '../kernels';

/**
 * Threads of a workgroup (wgX × wgY) and the block of C each thread owns (tm × tn).
 * `shared`: stage K-slices of A and B in workgroup memory (GPUs); without it each thread
 * reads its operands straight from storage (CPUs, SwiftShader: no barriers).
 */
export interface TileShape {
  wgX: number;
  wgY: number;
  tm: number;
  tn: number;
  shared: boolean;
}

export interface MatmulVariant {
  transA: boolean;
  transB: boolean;
  bias: boolean;
  act: Activation;
  /** Also store the pre-activation (for the fused activation's backward). */
  writeZ: boolean;
  /** vec4 loads of A along its contiguous axis (K, or M when transposed; that length % 4 = 0). */
  vecA: boolean;
  /** vec4 loads of B along its contiguous axis (N, or K when transposed). */
  vecB: boolean;
  /** vec4 stores of C (and Z): N % 4 = 0. */
  vecC: boolean;
  tile: TileShape;
}

/** Which operands allow vec4 access, from the shapes (batch strides follow: M·K, K·N). */
export function vectorWidths(M: number, N: number, K: number, transA: boolean, transB: boolean) {
  return {
    vecA: (transA ? M : K) % 4 === 0,
    vecB: (transB ? K : N) % 4 === 0,
    vecC: N % 4 === 0,
  };
}

export const tileRows = (t: TileShape) => t.wgY * t.tm;
export const tileCols = (t: TileShape) => t.wgX * t.tn;

export function tileName(t: TileShape): string {
  return `${t.shared ? 's' : 'r'}${t.wgX}x${t.wgY}-${t.tm}x${t.tn}`;
}

/** A stable name per variant: the pipeline cache key and the profiler's kernel label. */
export function variantName(v: MatmulVariant): string {
  const f = (b: boolean, c: string) => (b ? c : '');
  return (
    `matmul[${f(v.transA, 'tA')}${f(v.transB, 'tB')}${f(v.bias, '+b')}${v.act === 'none' ? '' : `+${v.act}`}` +
    `${f(v.writeZ, '+z')};${f(v.vecA, 'A4')}${f(v.vecB, 'B4')}${f(v.vecC, 'C4')};${tileName(v.tile)}]`
  );
}

/** K slice one shared-memory stage covers; split-K chunks are multiples of it. */
export const SHARED_KT = 16;
