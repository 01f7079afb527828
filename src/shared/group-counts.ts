// Which tab wants which group, on one shared connection. The service is asked to leave a
// group only when no tab wants it any more; a group message goes to the tabs that joined.
export class GroupCounts {
  /** group → the tabs that joined it. */
  readonly #members = new Map<string, Set<string>>();

  /** Records that `tab` is in `group`. Returns true when it is the first tab in it. */
  join(tab: string, group: string): boolean {
    let tabs = this.#members.get(group);
    if (!tabs) this.#members.set(group, (tabs = new Set()));
    const first = tabs.size === 0;
    tabs.add(tab);
    return first;
  }

  /** Records that `tab` left `group`. Returns true when no tab wants the group any more. */
  leave(tab: string, group: string): boolean {
    const tabs = this.#members.get(group);
    if (!tabs) return true;
    tabs.delete(tab);
    if (tabs.size > 0) return false;
    this.#members.delete(group);
    return true;
  }

  /** True when some tab other than `tab` is in `group`. */
  wantedByOthers(tab: string, group: string): boolean {
    const tabs = this.#members.get(group);
    return tabs !== undefined && (tabs.size > (tabs.has(tab) ? 1 : 0));
  }

  /** Forgets `group` for every tab (the service refused it). */
  drop(group: string): void {
    this.#members.delete(group);
  }

  /** Forgets a tab that went away. Returns the groups nobody wants any more. */
  removeTab(tab: string): string[] {
    const orphaned: string[] = [];
    for (const [group, tabs] of this.#members) {
      if (tabs.delete(tab) && tabs.size === 0) {
        this.#members.delete(group);
        orphaned.push(group);
      }
    }
    return orphaned;
  }

  /** The tabs in `group` (empty when none). */
  tabsIn(group: string): ReadonlySet<string> {
    return this.#members.get(group) ?? EMPTY;
  }

  /** Every group some tab wants. */
  groups(): string[] {
    return [...this.#members.keys()];
  }
}

const EMPTY: ReadonlySet<string> = new Set();
