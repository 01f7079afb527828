/**
 * Wildcard group patterns of the roles `webpubsub.sendToGroups.{pattern}` and
 * `webpubsub.joinLeaveGroups.{pattern}`: `*` matches within one dot-separated segment, `**`
 * across segments, `?` one character other than a dot; everything else literally, case-sensitive.
 * Matching is a table walk, O(pattern × group) with no backtracking, whatever the input.
 */

type Token = { kind: "char"; c: string } | { kind: "one" } | { kind: "segment" } | { kind: "any" };

/** Longest pattern accepted (longer roles are ignored). */
export const MAX_PATTERN_CHARS = 1024;

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      tokens.push({ kind: "any" });
      i++;
    } else if (c === "*") tokens.push({ kind: "segment" });
    else if (c === "?") tokens.push({ kind: "one" });
    else tokens.push({ kind: "char", c });
  }
  return tokens;
}

export class GroupPattern {
  private readonly tokens: Token[];

  constructor(readonly source: string) {
    this.tokens = tokenize(source);
  }

  matches(group: string): boolean {
    const t = this.tokens;
    // reach[j]: the first i characters of the group can be matched by the first j tokens
    let reach: boolean[] = new Array<boolean>(t.length + 1).fill(false);
    reach[0] = true;
    for (let j = 1; j <= t.length; j++) reach[j] = reach[j - 1]! && (t[j - 1]!.kind === "segment" || t[j - 1]!.kind === "any");
    for (let i = 0; i < group.length; i++) {
      const ch = group[i]!;
      const next: boolean[] = new Array<boolean>(t.length + 1).fill(false);
      for (let j = 1; j <= t.length; j++) {
        const tok = t[j - 1]!;
        if (tok.kind === "char") next[j] = reach[j - 1]! && tok.c === ch;
        else if (tok.kind === "one") next[j] = reach[j - 1]! && ch !== ".";
        else if (tok.kind === "segment") next[j] = next[j - 1]! || ((reach[j]! || reach[j - 1]!) && ch !== ".");
        else next[j] = next[j - 1]! || reach[j]! || reach[j - 1]!;
      }
      reach = next;
    }
    return reach[t.length]!;
  }
}
