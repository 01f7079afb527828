// Types for what tests import from bench/bundle-size.mjs.
import type { Plugin } from "esbuild";

export interface BundleSize {
  min: number;
  gzip: number;
}

export declare function measureBundle(
  from: string,
  options?: { resolveDir?: string; plugins?: Plugin[] },
): Promise<BundleSize & { lazy: BundleSize; lazyChunks: number; inputs: Array<[string, number]>; lazyInputs: Array<[string, number]> }>;
