// The features registered on an engine (extension.ts), told about its events in order.
import type { EngineExtension } from "./extension.js";
import type { Logger } from "./runtime.js";

export class Extensions {
  #list: EngineExtension[] = [];
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(extension: EngineExtension): () => void {
    this.#list = [...this.#list, extension];
    return () => void (this.#list = this.#list.filter((x) => x !== extension));
  }

  /** Calls `hook` on each extension until one returns true; one that throws is logged. */
  tell(hook: keyof EngineExtension, arg?: unknown): boolean {
    for (const x of this.#list) {
      try {
        if ((x[hook] as ((a: unknown) => unknown) | undefined)?.call(x, arg) === true) return true;
      } catch (error) {
        this.#logger.error(`${hook} threw: ${error}`);
      }
    }
    return false;
  }
}
