export interface Analysis {
  /** Names to rename, with their use counts, most used first. */
  internal: Map<string, number>;
  /** Names kept, each with why. */
  kept: Map<string, string>;
  /** Where each kept name was first found kept (file:line). */
  where: Map<string, string>;
  /** Every property name the sources use. */
  all: Set<string>;
}
export function analyse(options: { tsconfig: string; src: string; entries: string[]; keepFiles?: string[]; keepNames?: string[] }): Analysis;
export function shortNames(analysis: Pick<Analysis, "internal" | "all" | "kept">, reserved?: string[]): Record<string, string>;
export function internalPropertyNames(root?: string): { names: Record<string, string>; pattern: RegExp; result: Analysis };
