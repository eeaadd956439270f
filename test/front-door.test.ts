// The package's entry modules (package.json "exports"): what each one exports, values and types, is a
// deliberate list checked in beside this test, and every export carries a JSDoc comment. An export
// added or removed by accident fails here; a deliberate one updates test/front-door.exports.json.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { repoRoot } from "./support/binaries.ts";

/** Entry point → its exports, `type X` for type-only ones, sorted. */
type ExportLists = Record<string, string[]>;

const EXPECTED_FILE = join(repoRoot, "test", "front-door.exports.json");

const entryPoints = (): Record<string, string> => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    exports: Record<string, string>;
  };
  return Object.fromEntries(
    Object.entries(pkg.exports)
      .filter(([, target]) => target.endsWith(".ts"))
      .map(([entry, target]) => [entry, join(repoRoot, target)]),
  );
};

/** True when `alias` is exported type-only (`export type { X }`, `export { type X }`). */
const isTypeOnlyExport = (alias: ts.Symbol): boolean =>
  (alias.declarations ?? []).some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );

interface EntryExport {
  readonly label: string;
  readonly documented: boolean;
}

const exportsOf = (program: ts.Program, file: string): EntryExport[] => {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source, `${file} is not part of the program`);
  const module = checker.getSymbolAtLocation(source);
  assert.ok(module, `${file} is not a module`);
  return checker.getExportsOfModule(module).map((symbol) => {
    const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const typeOnly = isTypeOnlyExport(symbol) || !(resolved.flags & ts.SymbolFlags.Value);
    const doc = ts.displayPartsToString(resolved.getDocumentationComment(checker)).trim();
    return { label: `${typeOnly ? "type " : ""}${symbol.getName()}`, documented: doc !== "" };
  });
};

/** Sorts by name, ignoring case and the `type ` marker (no locale: the order is the same everywhere). */
const byName = (a: string, b: string): number => {
  const key = (label: string) => `${label.replace(/^type /, "").toLowerCase()} ${label}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
};

const entries = entryPoints();
const program = ts.createProgram(Object.values(entries), {
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
  types: ["node"],
});
const actual = Object.fromEntries(
  Object.entries(entries).map(([entry, file]) => [entry, exportsOf(program, file)]),
);

test("every entry module exports exactly the checked-in list", () => {
  const expected = JSON.parse(readFileSync(EXPECTED_FILE, "utf8")) as ExportLists;
  const problems: string[] = [];
  for (const entry of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const have = new Set((actual[entry] ?? []).map((e) => e.label));
    const want = new Set(expected[entry] ?? []);
    const added = [...have].filter((n) => !want.has(n)).sort(byName);
    const removed = [...want].filter((n) => !have.has(n)).sort(byName);
    if (added.length) problems.push(`"${entry}" now also exports: ${added.join(", ")}`);
    if (removed.length) problems.push(`"${entry}" no longer exports: ${removed.join(", ")}`);
  }
  assert.deepEqual(
    problems,
    [],
    `the public surface changed:\n  ${problems.join("\n  ")}\nIf that is deliberate (a new public name, a ` +
      `name moved to a subpath), update test/front-door.exports.json; else undo the export.`,
  );
});

test("every export of every entry module has a JSDoc comment", () => {
  const undocumented = Object.entries(actual).flatMap(([entry, list]) =>
    list.filter((e) => !e.documented).map((e) => `${entry}: ${e.label}`),
  );
  assert.deepEqual(
    undocumented,
    [],
    `exports without a JSDoc comment (write one where the symbol is declared):\n  ${undocumented.join("\n  ")}`,
  );
});

test("the checked-in list is sorted and names each export once", () => {
  const expected = JSON.parse(readFileSync(EXPECTED_FILE, "utf8")) as ExportLists;
  for (const [entry, list] of Object.entries(expected))
    assert.deepEqual(
      list,
      [...new Set(list)].sort(byName),
      `${entry}: keep the list sorted, without repeats`,
    );
});
