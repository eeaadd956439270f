import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A scratch folder for one test file; `dir()` makes a fresh subfolder, `file()` writes a file into one. */
export const scratch = (prefix: string) => {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let count = 0;
  const dir = () => {
    const path = join(root, `d${++count}`);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const file = (folder: string, name: string, text: string | Buffer) => {
    const path = join(folder, name);
    writeFileSync(path, text);
    return path;
  };
  return { dir, file };
};
