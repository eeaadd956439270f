// The house rules of the source tree, read from the code's own imports (static, type-only and
// `import("…")` with a literal specifier alike): no import circles in lib/, hooks/ and runner/; the
// engine never imports its plug-ins; one module of lib/store builds object-store keys; lib/format is a
// leaf. A change that breaks one of them fails here with the files that do.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { repoRoot } from "./support/binaries.ts";

const ROOTS = ["lib", "hooks", "runner"];

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });

/** The package's own subpaths ("stowage", "stowage/store", …) → the files they name. */
const selfReferences = (): Map<string, string> => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, string>;
  };
  return new Map(
    Object.entries(pkg.exports).map(([entry, target]) => [
      entry === "." ? pkg.name : `${pkg.name}/${entry.slice(2)}`,
      relative(repoRoot, resolve(repoRoot, target)),
    ]),
  );
};

/** file (repository-relative) → the repository files it imports. */
const importGraph = (): Map<string, string[]> => {
  const self = selfReferences();
  const graph = new Map<string, string[]>();
  for (const file of ROOTS.flatMap(sourceFiles)) {
    const info = ts.preProcessFile(readFileSync(join(repoRoot, file), "utf8"), true, true);
    const targets = info.importedFiles.flatMap(({ fileName }) => {
      if (fileName.startsWith(".")) return [relative(repoRoot, resolve(repoRoot, dirname(file), fileName))];
      const target = self.get(fileName);
      return target === undefined ? [] : [target];
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
};

const graph = importGraph();

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
const circles = (edges: Map<string, string[]>): string[][] => {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!edges.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (edges.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of edges.keys()) if (!index.has(file)) visit(file);
  return found;
};

/** The imports from files matching `from` into files matching `to`, as "a -> b" lines. */
const importsBetween = (from: (file: string) => boolean, to: (file: string) => boolean): string[] =>
  [...graph].flatMap(([file, targets]) =>
    from(file) ? targets.filter(to).map((target) => `${file} -> ${target}`) : [],
  );

const under = (dir: string) => (file: string) => file.startsWith(`${dir}/`);

test("the graph is read: every folder has files and the front door imports its seams", () => {
  for (const root of ROOTS) assert.ok([...graph.keys()].some(under(root)), `no files read under ${root}/`);
  assert.ok((graph.get("lib/index.ts") ?? []).includes("lib/store/index.ts"));
  assert.ok((graph.get("lib/index.ts") ?? []).includes("hooks/index.ts"));
});

test("no import circles in lib/, hooks/ and runner/", () => {
  assert.deepEqual(
    circles(graph),
    [],
    "files that import each other in a loop: give the shared part a leaf module",
  );
});

test("the engine never imports its plug-ins: only the front door composes hooks/ into lib/", () => {
  assert.deepEqual(
    importsBetween((f) => under("lib")(f) && f !== "lib/index.ts", under("hooks")),
    [],
    "lib/ reaches the built-in actions only through the slot lib/index.ts fills (lib/actions/builtin.ts)",
  );
});

test("hooks/ depends on lib/actions only, as a user's actions would", () => {
  assert.deepEqual(
    importsBetween(under("hooks"), (f) => !under("hooks")(f) && !under("lib/actions")(f)),
    [],
  );
});

test("lib/ reaches runner/ only from the CLI (the runner command and its script loader)", () => {
  assert.deepEqual(
    importsBetween((f) => under("lib")(f) && !under("lib/cli")(f), under("runner")),
    [],
  );
});

test("object-store keys are built in lib/store only", () => {
  assert.deepEqual(
    importsBetween(
      (f) => !under("lib/store")(f),
      (f) => f === "lib/store/layout.ts",
    ),
    [],
    "ask the catalog (lib/store/catalog.ts) for what a key holds instead of building the key",
  );
});

test("backup and restore do not know each other; lib/format is a leaf", () => {
  assert.deepEqual(importsBetween(under("lib/backup"), under("lib/restore")), []);
  assert.deepEqual(importsBetween(under("lib/restore"), under("lib/backup")), []);
  assert.deepEqual(
    importsBetween(under("lib/format"), (f) => !under("lib/format")(f) && f !== "lib/errors.ts"),
    [],
  );
});

test("lib/hooks is shared plumbing below backup and restore: it imports neither", () => {
  assert.deepEqual(
    importsBetween(under("lib/hooks"), (f) => under("lib/backup")(f) || under("lib/restore")(f)),
    [],
    "backup and restore import lib/hooks (kube, filters, log, util below it), never the other way",
  );
  assert.deepEqual(
    importsBetween(
      under("lib/hooks"),
      (f) =>
        !["lib/hooks", "lib/kube", "lib/filters", "lib/log", "lib/util"].some((d) => under(d)(f)) &&
        f !== "lib/errors.ts",
    ),
    [],
  );
});
