/** The groups this client joined itself, rejoined on every brand-new connection. */
export class GroupMemory {
  readonly #groups = new Set<string>();

  joined(group: string): void {
    this.#groups.add(group);
  }

  left(group: string): void {
    this.#groups.delete(group);
  }

  list(): string[] {
    return [...this.#groups];
  }
}
