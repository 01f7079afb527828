/** Validation of hub, group and event names. */

const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

export function isValidHubName(hub: string): boolean {
  return HUB_NAME.test(hub);
}

/** Hubs compare case-insensitively: this is the key they are stored under. */
export function hubKey(hub: string): string {
  return hub.toLowerCase();
}

/** Longest event name and invocation id (**choice**: the public docs give none). */
export const MAX_EVENT_NAME_CHARS = 1024;

/** Returns why an event name is invalid, or undefined when it is fine (1–1024 chars). */
export function eventNameError(event: string): string | undefined {
  if (event.length === 0) return "The event name must not be empty.";
  if (event.length > MAX_EVENT_NAME_CHARS) return `The event name must be at most ${MAX_EVENT_NAME_CHARS} characters.`;
  return undefined;
}

/** Returns why a group name is invalid, or undefined when it is fine (1–1024 chars, not all whitespace). */
export function groupNameError(group: string): string | undefined {
  if (group.length === 0) return "The group name must not be empty.";
  if (group.length > 1024) return "The group name must be at most 1024 characters.";
  if (group.trim().length === 0) return "The group name must not be all whitespace.";
  return undefined;
}
