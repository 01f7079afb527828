/** The service's source layout: no import cycles between its modules (type-only imports count too). */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(__dirname, "../../emulator");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"/gms)) out.push(resolve(dirname(file), `${m[1]}.ts`));
  return out;
}

/** Every cycle's path (as relative file names), found by depth-first search. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "active");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "active") found.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("emulator layout", () => {
  const files = sources(root);
  const graph = new Map(files.map((f) => [f, localImports(f)]));

  it("reads the imports (the parser sees the service's real edges)", () => {
    const edges = [...graph.values()].flat();
    expect(edges.length).toBeGreaterThan(files.length); // about two per file, not none
    expect(graph.get(join(root, "requests/dispatch.ts"))).toContain(join(root, "sessions/limits.ts"));
  });

  it("resolves every relative import to a file of the service", () => {
    const known = new Set(files);
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !known.has(d)).map((d) => `${relative(root, f)} -> ${relative(root, d)}`));
    expect(missing).toEqual([]);
  });

  it("has no import cycles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("finds a cycle when there is one (the check itself works)", () => {
    expect(cycles(new Map([["/a", ["/b"]], ["/b", ["/a"]]]))).toHaveLength(1);
  });

  it("keeps only the entry points at the top level", () => {
    const top = files.filter((f) => dirname(f) === root).map((f) => relative(root, f)).sort();
    expect(top).toEqual(["cli.ts", "index.ts"]);
  });
});
