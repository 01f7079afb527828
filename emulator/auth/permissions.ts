/** Connection permissions: from `role` claims, changed by the REST grant/revoke operations. */
import { GroupPattern, MAX_PATTERN_CHARS } from "./group-pattern";

export type Permission = "joinLeaveGroup" | "sendToGroup";

export const PERMISSIONS: readonly Permission[] = ["joinLeaveGroup", "sendToGroup"];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * Entries are `perm` (every group) or `perm.<group>` (one group). Roles map as
 * `webpubsub.joinLeaveGroup[.<group>]` and `webpubsub.sendToGroup[.<group>]`; the plural forms
 * `webpubsub.joinLeaveGroups.<pattern>` and `webpubsub.sendToGroups.<pattern>` grant every group
 * the wildcard pattern matches (`group-pattern.ts`); other roles are ignored.
 */
export class PermissionSet {
  private readonly entries = new Set<string>();
  private readonly patterns: Record<Permission, GroupPattern[]> = { joinLeaveGroup: [], sendToGroup: [] };

  constructor(roles: Iterable<string> = []) {
    for (const role of roles) {
      for (const perm of PERMISSIONS) {
        const prefix = `webpubsub.${perm}`;
        if (role === prefix) this.entries.add(perm);
        else if (role.startsWith(`${prefix}.`) && role.length > prefix.length + 1) this.entries.add(`${perm}.${role.slice(prefix.length + 1)}`);
        else if (role.startsWith(`${prefix}s.`) && role.length > prefix.length + 2 && role.length - prefix.length - 2 <= MAX_PATTERN_CHARS) {
          this.patterns[perm].push(new GroupPattern(role.slice(prefix.length + 2)));
        }
      }
    }
  }

  /** Whether the connection may act on `group`: it has the permission for every group, for that one, or for a pattern matching it. */
  allows(perm: Permission, group: string): boolean {
    return this.entries.has(perm) || this.entries.has(`${perm}.${group}`) || this.patterns[perm].some((p) => p.matches(group));
  }

  /** The REST check: without a target it asks for the every-group permission. */
  has(perm: Permission, target?: string): boolean {
    return target === undefined ? this.entries.has(perm) : this.allows(perm, target);
  }

  grant(perm: Permission, target?: string): void {
    this.entries.add(target === undefined ? perm : `${perm}.${target}`);
  }

  /** Without a target, removes the permission for every group and all its per-group entries. */
  revoke(perm: Permission, target?: string): void {
    if (target !== undefined) {
      this.entries.delete(`${perm}.${target}`);
      return;
    }
    for (const entry of [...this.entries]) if (entry === perm || entry.startsWith(`${perm}.`)) this.entries.delete(entry);
  }
}
