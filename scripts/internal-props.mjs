// Which property names the build may shorten: names that only ever name the SDK's own
// internal members (the engine's `outbox`, a link's `confirmed`, ...), found with
// TypeScript's type checker, so they never reach a user, the wire, another tab or a library.
// Renaming is by name, everywhere at once (esbuild's mangleProps in rollup.config.mjs), so
// one use of a name that meets the outside keeps the name for every use. A name is kept if:
// - it is part of the public API: a property of any type reachable from the entries'
//   exports (options, events, messages, the protocol interface, the injectable runtime);
// - a use resolves to something declared outside the sources (DOM, ES, Node, `ws`, `mitt`),
//   overrides such a member (`Error#message`), or is a key given to such a type
//   (`addEventListener(…, { once })`) or to `any`/`unknown` or an index signature (JSON);
// - it is a key of a value that crosses the border: an outside value (a global, an event,
//   parsed JSON) seen through an own type, by a cast, an assignment or a callback's
//   declared argument; or an own value handed to outside code (`JSON.stringify(x)`,
//   `postMessage(x)`, `throw x`), also inside an array, a map or a nested literal; the
//   whole type is kept, deeply;
// - it is spelled as a string key (`o["x"]`, `"x" in o`, `Reflect.has(o, "x")`, an enum member), or its
//   type's keys are read by a computed key (`o[k]`, `k in o`, `Object.keys(o)`, `for … in`);
// - it is a module's export read from its namespace (`(await import("./x.js")).x`, `const { x } = …`);
// - it is written in a `keepFiles` file (what crosses tabs, workers and reloads), or listed
//   in `keepNames`; or it is shorter than 3 characters (nothing to gain).
// Anything in doubt stays as written: a wrong "rename" breaks the package, a wrong "keep"
// costs a few bytes. `node scripts/internal-props.mjs <name>…` says what became of a name.
import ts from "typescript";
import { resolve, sep } from "node:path";

const KEYWORDS = new Set(["do", "if", "in"]);

/**
 * @param {{ tsconfig: string, src: string, entries: string[], keepFiles?: string[], keepNames?: string[] }} o
 *   `src` the source folder; `entries` the public entry files; `keepNames` names to keep anyway.
 * @returns names to rename (`internal`, with their use counts, most used first), and for
 *   each kept name why (`kept`) and where it was first found so (`where`).
 */
export function analyse({ tsconfig, src, entries, keepFiles = [], keepNames = [] }) {
  const cfg = ts.getParsedCommandLineOfConfigFile(resolve(tsconfig), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!cfg) throw new Error(`cannot read ${tsconfig}`);
  const root = resolve(src) + sep;
  const program = ts.createProgram({ rootNames: cfg.fileNames.filter((f) => resolve(f).startsWith(root)), options: cfg.options });
  const checker = program.getTypeChecker();
  const own = (sf) => !!sf && !sf.isDeclarationFile && resolve(sf.fileName).startsWith(root);
  const ownSymbol = (s) => !!s?.declarations?.length && s.declarations.every((d) => own(d.getSourceFile()));
  const parts = (t) => (t.isUnion() ? t.types : [t]);

  const uses = new Map();
  const kept = new Map();
  const where = new Map();
  /** The node being visited, for `where`. */
  let at;
  const keep = (name, why) => {
    if (kept.has(name)) return;
    kept.set(name, why);
    if (at) where.set(name, `${at.getSourceFile().fileName}:${at.getSourceFile().getLineAndCharacterOfPosition(at.getStart()).line + 1}`);
  };
  /** Set while visiting a `keepFiles` file: its names cross contexts, so every one is kept. */
  let keepFile;
  const use = (name, ok, why) => {
    uses.set(name, (uses.get(name) ?? 0) + 1);
    if (keepFile) keep(name, `a key in ${keepFile}`);
    else if (!ok) keep(name, why);
  };
  /** any, unknown, `object`, or a bag of any/unknown (`Record<string, unknown>`, whatever alias names it): keys read by name at run time. */
  const loose = (part) =>
    !!(part.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) ||
    (!!(part.flags & ts.TypeFlags.Object) && checker.getIndexInfosOfType(part).some((i) => i.type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)));
  /** Declared in the sources (an anonymous type written in them included), and not `loose`; primitives are not objects. */
  const ownType = (t) =>
    parts(t).every((part) => {
      if (loose(part)) return false;
      if (!(part.flags & ts.TypeFlags.Object)) return true; // a primitive: no keys to lose
      const decls = (part.aliasSymbol ?? part.getSymbol())?.declarations;
      return !!decls?.length && decls.every((d) => own(d.getSourceFile())); // `typeof globalThis` has none
    });
  const objectLike = (t) => parts(t).some((part) => part.flags & (ts.TypeFlags.Object | ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive));
  /** Every property of `t` (an own type) is read by a computed key. */
  const keepAllOf = (t, why) => {
    for (const part of parts(checker.getApparentType(t))) {
      if (checker.isArrayLikeType(part)) continue;
      for (const p of checker.getPropertiesOfType(part)) if (ownSymbol(p)) keep(p.name, why);
    }
  };
  /**
   * `t` and every own type reachable from it: an outside value's shape (`inward`: its
   * methods' arguments and results too), or an own value's that outside code reads.
   */
  const keepDeep = (t, why, inward) => walk(checker, own, t, { calls: inward ? "all" : "arguments" }, (p) => keep(p.name, why));
  const anyLike = (t) => parts(t).some(loose);
  const holds = new Map();
  /** An own type's property is reachable from `t`: `t` is one, or holds one (`Own[]`, `Map<K, Own>`, ...). */
  const holdsOwn = (t) => {
    if (!holds.has(t)) {
      let found = false;
      walk(checker, own, t, { calls: "all" }, () => (found = true));
      holds.set(t, found);
    }
    return holds.get(t);
  };
  /** `name` used as a key of a value of type `t` (object literal's target, destructured value). */
  const keyOf = (t, name, what) => {
    for (const part of parts(t)) {
      if (part.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return use(name, false, `${what} of an any/unknown value`);
      if (part.getSymbol()?.flags & ts.SymbolFlags.ValueModule) return use(name, false, "a module's export"); // `const { x } = await import(…)`
      const p = checker.getPropertyOfType(part, name);
      if (p ? !ownSymbol(p) : checker.getIndexInfosOfType(part).length > 0) return use(name, false, `${what} of a type declared outside the sources`);
    }
    use(name, true);
  };
  /** Class or interface member `name`: kept if a base type declared elsewhere has it. */
  const memberOf = (decl, name) => {
    const sym = decl.name && checker.getSymbolAtLocation(decl.name);
    const bases = [];
    if (sym) {
      const inst = checker.getDeclaredTypeOfSymbol(sym);
      if (inst.isClassOrInterface()) bases.push(...(checker.getBaseTypes(inst) ?? []));
    }
    for (const h of decl.heritageClauses ?? []) for (const e of h.types) bases.push(checker.getTypeAtLocation(e), checker.getTypeAtLocation(e.expression));
    const foreign = bases.some((b) => {
      const p = checker.getPropertyOfType(b, name);
      return p && !ownSymbol(p);
    });
    use(name, !foreign, "overrides a member declared outside the sources");
  };

  /**
   * A string that may name a property at run time: `o["x"]`, `"x" in o`, or an argument to
   * a function declared elsewhere (`Reflect.has(o, "x")`, `Object.hasOwn`, ...). Keys read
   * through a variable (`o[k]`) keep every property of `o`'s type instead (below).
   */
  const isKeyString = (node) => {
    const p = node.parent;
    if (ts.isElementAccessExpression(p) && p.argumentExpression === node) return true;
    if (ts.isBinaryExpression(p) && p.left === node && p.operatorToken.kind === ts.SyntaxKind.InKeyword) return true;
    if ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.arguments?.includes(node)) {
      const callee = checker.getResolvedSignature(p)?.getDeclaration();
      return !callee || !own(callee.getSourceFile());
    }
    return false;
  };
  const visit = (node) => {
    at = node;
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.name)) {
      const sym = checker.getSymbolAtLocation(node.name);
      // `(await import("./x.js")).name`: an export, which a build cannot rename
      if (checker.getTypeAtLocation(node.expression).getSymbol()?.flags & ts.SymbolFlags.ValueModule) use(node.name.text, false, "a module's export");
      else use(node.name.text, ownSymbol(sym), "read from something declared outside the sources");
      // the two methods every object inherits that take a key: `o.hasOwnProperty(k)`
      if (node.name.text === "hasOwnProperty" || node.name.text === "propertyIsEnumerable") keepAllOf(checker.getTypeAtLocation(node.expression), "read by a computed key");
    } else if (ts.isObjectLiteralExpression(node)) {
      const target = checker.getContextualType(node);
      for (const p of node.properties) {
        if (!p.name || ts.isComputedPropertyName(p.name) || ts.isPrivateIdentifier(p.name)) continue;
        const name = p.name.text;
        if (!ts.isIdentifier(p.name)) keep(name, "a quoted key");
        else if (target) keyOf(target, name, "a key");
        else use(name, true);
      }
      // handed to any/unknown (`postMessage({ m })`, `JSON.stringify`): what its values hold
      // too, nested literals included, which get no contextual type of their own
      if (target && anyLike(target)) keepDeep(checker.getTypeAtLocation(node), "handed to outside code", false);
    } else if (ts.isClassLike(node) || ts.isInterfaceDeclaration(node)) {
      for (const m of node.members) if (m.name && ts.isIdentifier(m.name)) memberOf(node, m.name.text);
      for (const m of node.members) {
        if (!ts.isConstructorDeclaration(m)) continue;
        for (const p of m.parameters) if (ts.isParameterPropertyDeclaration(p, m) && ts.isIdentifier(p.name)) memberOf(node, p.name.text);
      }
    } else if (ts.isEnumDeclaration(node)) {
      // TypeScript writes an enum's members as quoted keys (`E[E["A"] = 0] = "A"`)
      for (const m of node.members) if (ts.isIdentifier(m.name)) keep(m.name.text, "an enum member");
    } else if (ts.isTypeLiteralNode(node)) {
      for (const m of node.members) if (m.name && ts.isIdentifier(m.name)) use(m.name.text, true);
    } else if (ts.isObjectBindingPattern(node)) {
      const t = checker.getTypeAtLocation(node);
      for (const e of node.elements) {
        const key = e.propertyName ?? e.name;
        if (ts.isIdentifier(key)) keyOf(t, key.text, "a destructured key");
        else if (ts.isStringLiteral(key)) keep(key.text, "a quoted key");
        else if (ts.isComputedPropertyName(key)) keepAllOf(t, "read by a computed key"); // `const { [k]: v } = o`
      }
    } else if (ts.isStringLiteralLike(node) && isKeyString(node)) {
      keep(node.text, "spelled as a string key");
    } else if (ts.isElementAccessExpression(node) && !ts.isStringLiteralLike(node.argumentExpression)) {
      const k = checker.getTypeAtLocation(node.argumentExpression);
      if (!(k.flags & ts.TypeFlags.NumberLike)) keepAllOf(checker.getTypeAtLocation(node.expression), "read by a computed key");
    } else if (ts.isThrowStatement(node) && node.expression) {
      keepDeep(checker.getTypeAtLocation(node.expression), "thrown to outside code", false); // a caller's `catch (e)` is any
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.InKeyword && !ts.isStringLiteralLike(node.left)) {
      keepAllOf(checker.getTypeAtLocation(node.right), "tested by a computed `in`"); // `k in o`
    } else if (ts.isForInStatement(node)) {
      keepAllOf(checker.getTypeAtLocation(node.expression), "listed by for…in");
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.expression.getText() === "Object") {
      for (const a of node.arguments) keepAllOf(checker.getTypeAtLocation(a), `passed to Object.${node.expression.name.text}`);
    }
    if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && node.parameters.some((x) => x.type)) declaredArguments(node);
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      let inner = node.expression;
      while (ts.isAsExpression(inner) || ts.isTypeAssertionExpression(inner) || ts.isParenthesizedExpression(inner)) inner = inner.expression;
      const from = checker.getTypeAtLocation(inner);
      const to = checker.getTypeAtLocation(node);
      if (!ownType(from)) keepDeep(to, "an outside value seen through a cast", true);
      else if (objectLike(to) && !ownType(to) && !ts.isAssertionExpression(node.parent)) keepDeep(from, "cast to an outside type", false); // not `x as unknown as Own`
    } else if (ts.isExpression(node) && !ts.isObjectLiteralExpression(node) && !ts.isAssertionExpression(node.parent) && !ts.isSatisfiesExpression(node.parent)) {
      crossing(node);
    }
    ts.forEachChild(node, visit);
  };
  /**
   * A callback that says more of its arguments than the type it is given for (`(e?: {
   * persisted?: unknown }) => …` where `() => void` is expected): the caller is not in
   * sight, so what it declares is an outside value's shape.
   */
  const declaredArguments = (node) => {
    const target = checker.getContextualType(node);
    const sig = target && checker.getSignaturesOfType(target, ts.SignatureKind.Call)[0];
    node.parameters.forEach((param, i) => {
      if (!param.type) return;
      const given = sig?.getParameters()[i];
      const givenType = given && checker.getTypeOfSymbolAtLocation(given, node);
      if (!givenType || !ownType(givenType)) keepDeep(checker.getTypeFromTypeNode(param.type), "an argument of unknown origin", true);
    });
  };
  /**
   * A value handed across the border: an outside value (DOM, library, JSON, any) where an own
   * type is expected keeps the own type's keys; an own value where an outside type (or any:
   * postMessage, JSON.stringify) is expected keeps its own keys.
   */
  const crossing = (node) => {
    const p = node.parent;
    // `const { a } = x`: the pattern's keys are checked as destructured keys (above)
    if ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isBindingElement(p)) && p.initializer === node && ts.isObjectBindingPattern(p.name)) return;
    const target = checker.getContextualType(node);
    if (!target || !objectLike(target)) return;
    const value = checker.getTypeAtLocation(node);
    if (!objectLike(value)) return;
    const a = ownType(target);
    const b = ownType(value);
    // `Own[]`, `Map<K, Own>`: an array or a map is not an own type but holds one
    if ((a && !b) || (anyLike(value) && holdsOwn(target))) keepDeep(target, "takes an outside value", true);
    else if ((!a && b) || (anyLike(target) && holdsOwn(value))) {
      if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
        // a callback: outside code calls it; what it declares its arguments to be is outside-made
        for (const param of node.parameters) if (param.type) keepDeep(checker.getTypeFromTypeNode(param.type), "an argument from outside code", true);
      } else if (checker.getPropertiesOfType(value).length) keepDeep(value, "handed to outside code", false);
    }
  };

  const files = program.getSourceFiles().filter(own);
  for (const sf of files) {
    keepFile = keepFiles.find((f) => resolve(f) === resolve(sf.fileName));
    visit(sf);
  }
  keepFile = at = undefined;
  for (const n of keepNames) keep(n, "kept by name");
  for (const n of publicNames(program, checker, entries, own)) keep(n, "part of the public API");

  const internal = new Map(
    [...uses]
      .filter(([n]) => n.length >= 3 && !kept.has(n))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
  );
  for (const [n] of uses) if (n.length < 3 && !kept.has(n)) keep(n, "too short to gain");
  return { internal, kept, where, all: new Set(uses.keys()) };
}

/**
 * Visits `start` and every type reachable from it through properties, type arguments and
 * (`calls`: "all", or "arguments" only) signatures, calling `onProperty` for each public
 * property; types declared outside the sources are not entered.
 */
function walk(checker, own, start, { calls }, onProperty) {
  const seen = new Set();
  const typeOf = (s) => {
    const d = s.valueDeclaration ?? s.declarations?.[0];
    return d ? checker.getTypeOfSymbolAtLocation(s, d) : undefined;
  };
  const visit = (t) => {
    if (!t || seen.has(t)) return;
    seen.add(t);
    if (t.isUnionOrIntersection()) return t.types.forEach(visit);
    t.aliasTypeArguments?.forEach(visit);
    if (!(t.flags & ts.TypeFlags.Object)) return; // primitives: their members are String's, Number's, ...
    if (t.objectFlags & ts.ObjectFlags.Reference) checker.getTypeArguments(t).forEach(visit);
    const decls = (t.aliasSymbol ?? t.getSymbol())?.declarations ?? [];
    if (decls.length && !decls.some((d) => own(d.getSourceFile()))) return; // a DOM / ES / library type
    for (const p of checker.getPropertiesOfType(t)) {
      const d = p.valueDeclaration;
      if (d && ((d.name && ts.isPrivateIdentifier(d.name)) || ts.getCombinedModifierFlags(d) & ts.ModifierFlags.NonPublicAccessibilityModifier)) continue;
      onProperty(p);
      visit(typeOf(p));
    }
    for (const kind of [ts.SignatureKind.Call, ts.SignatureKind.Construct]) {
      for (const s of checker.getSignaturesOfType(t, kind)) {
        s.getParameters().forEach((p) => visit(typeOf(p)));
        if (calls === "all") visit(s.getReturnType());
        s.getTypeParameters()?.forEach((p) => visit(checker.getBaseConstraintOfType(p)));
      }
    }
    for (const i of checker.getIndexInfosOfType(t)) visit(i.type);
  };
  visit(start);
}

/** Every property name of every type reachable from the entries' exports. */
function publicNames(program, checker, entries, own) {
  const names = new Set();
  const add = (p) => names.add(p.name);
  for (const entry of entries) {
    const sf = program.getSourceFile(resolve(entry));
    if (!sf) throw new Error(`${entry} is not in the program`);
    for (let s of checker.getExportsOfModule(checker.getSymbolAtLocation(sf))) {
      names.add(s.name);
      if (s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
      walk(checker, own, checker.getDeclaredTypeOfSymbol(s), { calls: "all" }, add);
      const d = s.valueDeclaration ?? s.declarations?.[0];
      if (d) walk(checker, own, checker.getTypeOfSymbolAtLocation(s, d), { calls: "all" }, add);
    }
  }
  return names;
}

/**
 * Short names for the internal ones, most used first: one letter, then two, never a name
 * any property in the sources already has, nor a keyword.
 */
export function shortNames({ internal, all, kept }, reserved = []) {
  const taken = new Set([...all, ...kept.keys(), ...reserved]);
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const pool = (function* () {
    for (const a of letters) yield a;
    for (const a of letters) for (const b of letters + "0123456789_$") yield a + b;
  })();
  const map = {};
  for (const name of internal.keys()) {
    let s;
    do s = pool.next().value;
    while (taken.has(s) || KEYWORDS.has(s));
    if (s === undefined) throw new Error("out of short names");
    map[name] = s;
  }
  return map;
}

/** The SDK's own set: `src/`, its two public entries, and what crosses tabs, workers and reloads. */
export function internalPropertyNames(root = ".") {
  const at = (p) => resolve(root, p);
  const result = analyse({
    tsconfig: at("tsconfig.build.json"),
    src: at("src"),
    entries: [at("src/index.ts"), at("src/protobuf/index.ts")],
    keepFiles: [at("src/shared/wire.ts"), at("src/shared/wire-streams.ts"), at("src/shared/reload-store.ts")],
    keepNames: [...MITT, ...ROLLUP],
  });
  const names = shortNames(result, MITT);
  const list = Object.keys(names);
  return { names, pattern: new RegExp(`^(${list.join("|")})$`), result };
}

/** mitt's emitter, bundled into the browser builds and external in Node's. */
const MITT = ["all", "on", "off", "emit"];
/** rollup's glue: `Object.freeze` on an inlined dynamic import's namespace. */
const ROLLUP = ["freeze"];

// `node scripts/internal-props.mjs [name…]`: the short names, or what became of each name and why.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { names, result } = internalPropertyNames();
  const asked = process.argv.slice(2);
  if (!asked.length) console.log(`${Object.keys(names).length} names renamed:`, JSON.stringify(names));
  for (const n of asked) {
    if (names[n]) console.log(`${n} -> ${names[n]} (${result.internal.get(n)} uses)`);
    else if (result.kept.has(n)) console.log(`${n} kept: ${result.kept.get(n)}${result.where.has(n) ? ` (${result.where.get(n)})` : ""}`);
    else console.log(`${n}: not a property name in src/`);
  }
}
