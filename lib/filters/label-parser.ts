/**
 * Parser for Kubernetes' label selector string syntax (`k8s.io/apimachinery/pkg/labels/selector.go`),
 * limited to what a `LabelSelector` object can express: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, joined by commas (AND). Errors point at the offending token.
 */

/** One parsed requirement. `Equals`/`NotEquals` carry exactly one value. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: "Equals" | "NotEquals" | "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values: readonly string[];
}

type TokenKind =
  | "identifier"
  | "in"
  | "notin"
  | "!"
  | "="
  | "=="
  | "!="
  | ","
  | "("
  | ")"
  | ">"
  | "<"
  | "end";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** 1-based character position. */
  readonly at: number;
}

const SPECIAL = "!=,()<>";

const lex = (src: string): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i + 1;
    if (SPECIAL.includes(c)) {
      const two = src.slice(i, i + 2);
      if (two === "==" || two === "!=") {
        tokens.push({ kind: two, text: two, at });
        i += 2;
      } else {
        tokens.push({ kind: c as TokenKind, text: c, at });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < src.length && !SPECIAL.includes(src[j]!) && !/\s/.test(src[j]!)) j++;
    const text = src.slice(i, j);
    tokens.push({ kind: text === "in" || text === "notin" ? text : "identifier", text, at });
    i = j;
  }
  tokens.push({ kind: "end", text: "", at: src.length + 1 });
  return tokens;
};

/** A parse failure: the message says what was expected and what was found where. */
export class LabelSyntaxError extends Error {}

const describe = (t: Token) =>
  t.kind === "end" ? "the end of the selector" : `"${t.text}" at character ${t.at}`;

/**
 * Parses a selector string into requirements (an empty or blank string gives none: match everything).
 * Keys and values are not validated here (see `labels.ts`).
 * @throws LabelSyntaxError naming the bad token.
 */
export const parseRequirements = (src: string): LabelRequirement[] => {
  const tokens = lex(src);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;
  const fail = (expected: string, got: Token): never => {
    throw new LabelSyntaxError(`expected ${expected}, found ${describe(got)}`);
  };

  const out: LabelRequirement[] = [];
  if (peek().kind === "end") return out;
  for (;;) {
    let t = next();
    if (t.kind === "!") {
      const key = next();
      if (key.kind !== "identifier") fail(`a label key after "!"`, key);
      out.push({ key: key.text, operator: "DoesNotExist", values: [] });
    } else {
      if (t.kind !== "identifier") fail("a label key or !key", t);
      const key = t.text;
      const op = peek();
      switch (op.kind) {
        case ",":
        case "end":
          out.push({ key, operator: "Exists", values: [] });
          break;
        case "=":
        case "==":
        case "!=": {
          pos++;
          const v = peek();
          let value = "";
          if (v.kind === "identifier") {
            value = v.text;
            pos++;
          } else if (v.kind !== "," && v.kind !== "end") {
            fail(`a value after "${op.text}"`, v);
          }
          out.push({ key, operator: op.kind === "!=" ? "NotEquals" : "Equals", values: [value] });
          break;
        }
        case "in":
        case "notin": {
          pos++;
          const open = next();
          if (open.kind !== "(") fail(`"(" after "${op.text}" (write ${key} ${op.text} (a,b))`, open);
          const values: string[] = [];
          // k8s allows empty values between commas: "(a,)" is {"a", ""}.
          let expectValue = true;
          for (;;) {
            const v = next();
            if (v.kind === ")") {
              if (expectValue && values.length > 0) values.push("");
              break;
            }
            if (v.kind === ",") {
              if (expectValue) values.push("");
              expectValue = true;
              continue;
            }
            if (v.kind === "identifier" && expectValue) {
              values.push(v.text);
              expectValue = false;
              continue;
            }
            fail(expectValue ? `a value or ")"` : `"," or ")"`, v);
          }
          if (values.length === 0)
            throw new LabelSyntaxError(
              `"${key} ${op.text} ()" at character ${op.at} has no values; list at least one`,
            );
          out.push({ key, operator: op.kind === "in" ? "In" : "NotIn", values });
          break;
        }
        case ">":
        case "<":
          throw new LabelSyntaxError(
            `"${op.text}" at character ${op.at} is not supported: a LabelSelector only has =, ==, !=, in, notin, key and !key`,
          );
        default:
          fail(`an operator (=, ==, !=, in, notin) or "," after key "${key}"`, op);
      }
    }
    t = next();
    if (t.kind === "end") return out;
    if (t.kind !== ",") fail(`"," or the end of the selector`, t);
    if (peek().kind === "end") fail('another requirement after the trailing ","', peek());
  }
};
