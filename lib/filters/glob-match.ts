/**
 * A small compiler for the glob dialect Velero uses for namespaces (gobwas/glob with no separators):
 * `*` any sequence (including nothing), `?` one character, `[abc]` / `[a-z]` / `[!a-z]` one character
 * from (or not from) a class, `{a,b}` alternatives (which may hold globs), `\x` a literal `x`.
 * Namespaces never contain `/`, so there is no separator handling.
 */

/** Characters that make a pattern a glob rather than a plain name. */
const META = /[*?[\]{}\\]/;

/** True when the string uses glob syntax (so it is a pattern, not a name that must exist). */
export const isGlob = (pattern: string): boolean => META.test(pattern);

const escapeRegExp = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/** Thrown (as a plain message) when a pattern does not compile; callers turn it into a problem. */
export class GlobSyntaxError extends Error {}

interface Cursor {
  readonly src: string;
  pos: number;
}

const parseClass = (cur: Cursor): string => {
  const start = cur.pos;
  cur.pos++; // [
  let negate = false;
  if (cur.src[cur.pos] === "!") {
    negate = true;
    cur.pos++;
  }
  let body = "";
  let count = 0;
  while (cur.pos < cur.src.length && cur.src[cur.pos] !== "]") {
    let c = cur.src[cur.pos]!;
    if (c === "\\" && cur.pos + 1 < cur.src.length) c = cur.src[++cur.pos]!;
    cur.pos++;
    if (cur.src[cur.pos] === "-" && cur.pos + 1 < cur.src.length && cur.src[cur.pos + 1] !== "]") {
      const hi = cur.src[cur.pos + 1]!;
      if (hi < c)
        throw new GlobSyntaxError(
          `the range "${c}-${hi}" at position ${cur.pos} runs backwards; write "${hi}-${c}"`,
        );
      body += `${escapeRegExp(c)}-${escapeRegExp(hi)}`;
      cur.pos += 2;
    } else {
      body += escapeRegExp(c);
    }
    count++;
  }
  if (cur.pos >= cur.src.length)
    throw new GlobSyntaxError(`the "[" at position ${start} is never closed; add "]" or escape it as "\\["`);
  if (count === 0) throw new GlobSyntaxError(`the character class at position ${start} is empty`);
  cur.pos++; // ]
  return negate ? `[^${body}]` : `[${body}]`;
};

/** Parses until end of input, or (inside braces) until an unmatched `,` or `}`. */
const parseSequence = (cur: Cursor, depth: number): string => {
  let out = "";
  while (cur.pos < cur.src.length) {
    const c = cur.src[cur.pos]!;
    if (depth > 0 && (c === "," || c === "}")) return out;
    switch (c) {
      case "*":
        while (cur.src[cur.pos] === "*") cur.pos++;
        out += "[\\s\\S]*";
        break;
      case "?":
        cur.pos++;
        out += "[\\s\\S]";
        break;
      case "[":
        out += parseClass(cur);
        break;
      case "{":
        out += parseAlternatives(cur, depth + 1);
        break;
      case "\\":
        if (cur.pos + 1 >= cur.src.length)
          throw new GlobSyntaxError("the pattern ends with a lone backslash");
        out += escapeRegExp(cur.src[cur.pos + 1]!);
        cur.pos += 2;
        break;
      case "]":
        throw new GlobSyntaxError(`unexpected "]" at position ${cur.pos}; escape it as "\\]"`);
      default:
        out += escapeRegExp(c);
        cur.pos++;
    }
  }
  return out;
};

const parseAlternatives = (cur: Cursor, depth: number): string => {
  const start = cur.pos;
  cur.pos++; // {
  const alternatives: string[] = [];
  for (;;) {
    alternatives.push(parseSequence(cur, depth));
    const c = cur.src[cur.pos];
    if (c === undefined)
      throw new GlobSyntaxError(
        `the "{" at position ${start} is never closed; add "}" or escape it as "\\{"`,
      );
    cur.pos++;
    if (c === "}") break;
  }
  return `(?:${alternatives.join("|")})`;
};

/**
 * Compiles a gobwas-style glob into an anchored RegExp.
 * @throws GlobSyntaxError with a message saying what is wrong and where.
 */
export const compileGlob = (pattern: string): RegExp => {
  const cur: Cursor = { src: pattern, pos: 0 };
  const source = parseSequence(cur, 0);
  return new RegExp(`^${source}$`);
};
