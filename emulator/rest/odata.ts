/**
 * The OData filter subset the REST API accepts in `filter` (PROTOCOL §7): `userId`,
 * `connectionId` and `groups`; `eq ne gt ge lt le in`; `and or not`; parentheses;
 * string literals in single quotes ('' escapes a quote), numbers and `null`.
 * e.g. `userId eq 'u1' or 'g1' in groups`, `not ('vip' in groups) and connectionId ne 'c1'`.
 */

export interface FilterSubject {
  userId?: string;
  connectionId: string;
  groups: ReadonlySet<string>;
}

type Value = string | number | null | string[];
type Node =
  | { kind: "literal"; value: string | number | null }
  | { kind: "field"; name: "userId" | "connectionId" | "groups" }
  | { kind: "not"; operand: Node }
  | { kind: "logic"; op: "and" | "or"; left: Node; right: Node }
  | { kind: "compare"; op: "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "in"; left: Node; right: Node };

type Token = { t: "str"; v: string } | { t: "num"; v: number } | { t: "word"; v: string } | { t: "("; v: "(" } | { t: ")"; v: ")" };

export class FilterError extends Error {}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")") {
      tokens.push(c === "(" ? { t: "(", v: "(" } : { t: ")", v: ")" });
      i++;
    } else if (c === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterError("Unterminated string literal in filter.");
        if (input[i] === "'") {
          if (input[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += input[i];
        i++;
      }
      tokens.push({ t: "str", v: value });
    } else {
      const m = /^(-?\d+(?:\.\d+)?)|^([A-Za-z_][A-Za-z0-9_]*)/.exec(input.slice(i));
      if (!m) throw new FilterError(`Unexpected character '${c}' in filter.`);
      if (m[1] !== undefined) tokens.push({ t: "num", v: Number(m[1]) });
      else tokens.push({ t: "word", v: m[2]! });
      i += m[0].length;
    }
  }
  return tokens;
}

const COMPARISONS = ["eq", "ne", "gt", "ge", "lt", "le", "in"] as const;

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.or();
    if (this.pos < this.tokens.length) throw new FilterError("Unexpected text at the end of the filter.");
    return node;
  }

  private peekWord(): string | undefined {
    const t = this.tokens[this.pos];
    return t?.t === "word" ? t.v.toLowerCase() : undefined;
  }

  private or(): Node {
    let left = this.and();
    while (this.peekWord() === "or") {
      this.pos++;
      left = { kind: "logic", op: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.unary();
    while (this.peekWord() === "and") {
      this.pos++;
      left = { kind: "logic", op: "and", left, right: this.unary() };
    }
    return left;
  }

  private unary(): Node {
    if (this.peekWord() === "not") {
      this.pos++;
      return { kind: "not", operand: this.unary() };
    }
    if (this.tokens[this.pos]?.t === "(") {
      this.pos++;
      const inner = this.or();
      if (this.tokens[this.pos]?.t !== ")") throw new FilterError("Missing ')' in filter.");
      this.pos++;
      return inner;
    }
    const left = this.operand();
    const op = this.peekWord() as (typeof COMPARISONS)[number] | undefined;
    if (!op || !COMPARISONS.includes(op)) throw new FilterError("Expected a comparison (eq, ne, gt, ge, lt, le, in) in filter.");
    this.pos++;
    return { kind: "compare", op, left, right: this.operand() };
  }

  private operand(): Node {
    const t = this.tokens[this.pos++];
    if (!t) throw new FilterError("The filter ends too early.");
    if (t.t === "str" || t.t === "num") return { kind: "literal", value: t.v };
    if (t.t === "word") {
      const w = t.v.toLowerCase();
      if (w === "null") return { kind: "literal", value: null };
      if (w === "userid") return { kind: "field", name: "userId" };
      if (w === "connectionid") return { kind: "field", name: "connectionId" };
      if (w === "groups") return { kind: "field", name: "groups" };
      throw new FilterError(`Unknown field '${t.v}' in filter: use userId, connectionId or groups.`);
    }
    throw new FilterError(`Unexpected '${t.v}' in filter.`);
  }
}

function valueOf(node: Node, s: FilterSubject): Value {
  if (node.kind === "literal") return node.value;
  if (node.kind === "field") {
    if (node.name === "userId") return s.userId ?? null;
    if (node.name === "connectionId") return s.connectionId;
    return [...s.groups];
  }
  return evaluate(node, s) ? 1 : 0;
}

function evaluate(node: Node, s: FilterSubject): boolean {
  switch (node.kind) {
    case "not":
      return !evaluate(node.operand, s);
    case "logic":
      return node.op === "and" ? evaluate(node.left, s) && evaluate(node.right, s) : evaluate(node.left, s) || evaluate(node.right, s);
    case "compare": {
      const l = valueOf(node.left, s);
      const r = valueOf(node.right, s);
      if (node.op === "in") return Array.isArray(r) && typeof l === "string" && r.includes(l);
      if (Array.isArray(l) || Array.isArray(r)) return false;
      if (node.op === "eq") return l === r;
      if (node.op === "ne") return l !== r;
      if (l === null || r === null || typeof l !== typeof r) return false;
      if (node.op === "gt") return l > r;
      if (node.op === "ge") return l >= r;
      if (node.op === "lt") return l < r;
      return l <= r;
    }
    default:
      return false;
  }
}

/** Compiles a filter; throws {@link FilterError} with a readable message when it cannot be parsed. */
export function compileFilter(filter: string): (subject: FilterSubject) => boolean {
  const ast = new Parser(tokenize(filter)).parse();
  return (subject) => evaluate(ast, subject);
}
