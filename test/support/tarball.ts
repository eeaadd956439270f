// An INDEPENDENT reader for backup tarballs (plain tar-stream + zlib + JSON), used to check what the
// writer produced without trusting lib/format.
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";

export interface TarEntry {
  readonly path: string;
  readonly type: string;
  readonly mode: number;
  readonly uname: string;
  readonly body: Buffer;
}

export const readTarball = async (stream: Readable): Promise<TarEntry[]> => {
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (c: unknown) => {
        chunks.push(c as Buffer);
      });
      body.on("end", () => {
        entries.push({
          path: header.name,
          type: header.type ?? "file",
          mode: header.mode ?? 0,
          uname: header.uname ?? "",
          body: Buffer.concat(chunks),
        });
        next();
      });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  stream.pipe(createGunzip()).pipe(extract);
  await done;
  return entries;
};

/**
 * Checks velero-format.md §1–2 layout rules; returns the problems found (empty when the archive is
 * well-formed) and the item paths (classic copies).
 */
export const checkLayout = (entries: readonly TarEntry[]): { problems: string[]; classic: string[] } => {
  const problems: string[] = [];
  if (entries[0]?.path !== "metadata/version")
    problems.push(`first entry is ${entries[0]?.path}, not metadata/version`);
  else if (entries[0].body.toString() !== "1.1.0\n")
    problems.push(`version is ${JSON.stringify(entries[0].body.toString())}`);
  const classic: string[] = [];
  const byPath = new Map(entries.map((e) => [e.path, e]));
  entries.forEach((e, i) => {
    if (e.type !== "file") problems.push(`${e.path}: type ${e.type}, expected a regular file`);
    if (e.mode !== 0o755) problems.push(`${e.path}: mode ${e.mode.toString(8)}, expected 755`);
    if (e.uname !== "") problems.push(`${e.path}: uname "${e.uname}", expected empty`);
    if (e.path.startsWith("/") || e.path.startsWith("./") || e.path.split("/").includes(".."))
      problems.push(`${e.path}: not a clean relative path`);
    if (e.path === "metadata/version") return;
    const parts = e.path.split("/");
    if (parts[0] !== "resources") {
      problems.push(`${e.path}: outside resources/`);
      return;
    }
    const gr = parts[1] ?? "";
    if (gr.endsWith(".core") || gr.endsWith(".v1"))
      problems.push(`${e.path}: core resources have no group suffix`);
    const versioned = parts[2]?.endsWith("-preferredversion");
    const scope = versioned ? parts[3] : parts[2];
    const rest = versioned ? parts.slice(4) : parts.slice(3);
    if (scope === "cluster" ? rest.length !== 1 : scope === "namespaces" ? rest.length !== 2 : true) {
      problems.push(
        `${e.path}: expected <gr>/[<v>-preferredversion/](cluster/<name>|namespaces/<ns>/<name>).json`,
      );
    }
    if (!e.path.endsWith(".json")) problems.push(`${e.path}: not .json`);
    if (!versioned) {
      classic.push(e.path);
      const twin = entries[i + 1];
      const expectedTwinPrefix = `resources/${gr}/`;
      if (
        !twin?.path.startsWith(expectedTwinPrefix) ||
        !twin.path.includes("-preferredversion/") ||
        twin.path.replace(/\/v[^/]*-preferredversion\//, "/") !== e.path
      ) {
        problems.push(`${e.path}: not followed by its -preferredversion twin`);
      } else if (!twin.body.equals(e.body)) problems.push(`${e.path}: twin bytes differ`);
      try {
        const parsed = JSON.parse(e.body.toString()) as { metadata?: { name?: string } };
        if (`${parsed.metadata?.name}.json` !== rest.at(-1))
          problems.push(`${e.path}: metadata.name ${parsed.metadata?.name} does not match the file name`);
      } catch {
        problems.push(`${e.path}: not JSON`);
      }
    } else if (!byPath.has(e.path.replace(/\/v[^/]*-preferredversion\//, "/"))) {
      problems.push(`${e.path}: preferred-version copy without a classic copy`);
    }
  });
  return { problems, classic };
};
