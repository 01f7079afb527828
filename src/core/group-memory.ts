/** The groups this client joined itself, rejoined on every brand-new connection. */
export class GroupMemory {
  #groups?: Set<string>; // made on first join: many clients never join a group

  joined(group: string): void {
    (this.#groups ??= new Set()).add(group);
  }

  left(group: string): void {
    this.#groups?.delete(group);
  }

  list(): string[] {
    return this.#groups ? [...this.#groups] : [];
  }
}
