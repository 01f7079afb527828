// Types for what test/package imports from rollup.config.mjs.
import type { ExternalOption, OutputOptions, Plugin, RollupOptions } from "rollup";

export declare const entry: (
  input: string,
  dir: string,
  name: string,
  plugins: Plugin[],
  external?: ExternalOption,
  root?: string,
) => RollupOptions & { input: string; output: OutputOptions[] };
declare const configs: RollupOptions[];
export default configs;
