/** A hub: its connections, groups, users, and the user→group relations made through REST. */
import type { MessageSource } from "../protocol/codec";
import type { Payload } from "../protocol/payload";
import type { Connection } from "./connection";
import { MAX_GROUPS_PER_USER } from "./limits";

export class Hub {
  readonly connections = new Map<string, Connection>();
  private readonly groups = new Map<string, Set<Connection>>();
  /** Added by REST "add user to group": applies to the user's current and future connections. */
  private readonly userGroups = new Map<string, Set<string>>();

  constructor(readonly name: string) {}

  add(connection: Connection): void {
    this.connections.set(connection.id, connection);
    if (connection.userId !== undefined) for (const group of this.userGroups.get(connection.userId) ?? []) this.join(connection, group);
  }

  remove(connection: Connection): void {
    this.connections.delete(connection.id);
    this.leaveAll(connection);
  }

  /** Adds the connection to the group; false (and nothing changes) when it is in as many groups as it may be. */
  join(connection: Connection, group: string): boolean {
    if (!connection.canJoin(group)) return false;
    connection.groups.add(group);
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Set()));
    members.add(connection);
    return true;
  }

  leave(connection: Connection, group: string): void {
    connection.groups.delete(group);
    const members = this.groups.get(group);
    if (!members) return;
    members.delete(connection);
    if (members.size === 0) this.groups.delete(group);
  }

  leaveAll(connection: Connection): void {
    for (const group of [...connection.groups]) this.leave(connection, group);
  }

  groupMembers(group: string): Connection[] {
    return [...(this.groups.get(group) ?? [])];
  }

  groupExists(group: string): boolean {
    return (this.groups.get(group)?.size ?? 0) > 0;
  }

  userConnections(userId: string): Connection[] {
    return [...this.connections.values()].filter((c) => c.userId === userId);
  }

  /**
   * Records the user's membership (for its current and future connections); false when the user
   * already has {@link MAX_GROUPS_PER_USER} groups. Connections in as many groups as they may be are skipped.
   */
  addUserToGroup(userId: string, group: string): boolean {
    let groups = this.userGroups.get(userId);
    if (!groups) this.userGroups.set(userId, (groups = new Set()));
    if (!groups.has(group) && groups.size >= MAX_GROUPS_PER_USER) return false;
    groups.add(group);
    for (const c of this.userConnections(userId)) this.join(c, group);
    return true;
  }

  /** Nothing to keep: no connections, groups or user memberships (the service then forgets the hub). */
  get isEmpty(): boolean {
    return this.connections.size === 0 && this.groups.size === 0 && this.userGroups.size === 0;
  }

  removeUserFromGroup(userId: string, group: string): void {
    const groups = this.userGroups.get(userId);
    groups?.delete(group);
    if (groups?.size === 0) this.userGroups.delete(userId);
    for (const c of this.userConnections(userId)) this.leave(c, group);
  }

  removeUserFromAllGroups(userId: string): void {
    this.userGroups.delete(userId);
    for (const c of this.userConnections(userId)) this.leaveAll(c);
  }

  /** Delivers to each target connection not excluded. */
  deliver(targets: Iterable<Connection>, source: MessageSource, payload: Payload, excluded?: ReadonlySet<string>): void {
    for (const c of [...targets]) if (!excluded?.has(c.id)) c.deliver(source, payload);
  }
}
