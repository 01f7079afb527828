import type { BuildResult, Metafile } from "esbuild";
export declare function buildSpa(options?: { outdir?: string; minify?: boolean }): Promise<BuildResult & { metafile: Metafile }>;
