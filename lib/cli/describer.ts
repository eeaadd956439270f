/**
 * velero's `Describer` (`pkg/cmd/util/output/describe.go`): describe text is built with tabs between
 * cells and aligned at the end by Go's tabwriter (minwidth 0, padding 2).
 */
import type { Result } from "../store/index.ts";
import { type TabwriterOptions, tabwrite } from "./output.ts";

/** What velero prints for an empty value. */
export const NONE = "<none>";

/** The tabwriter settings of velero's describers. */
export const DESCRIBE_OPTIONS: TabwriterOptions = { minWidth: 0, padding: 2 };

/** Accumulates describe text; `toString()` aligns it. */
export class Describer {
  text = "";

  /** Appends `line` as is (velero's `d.Printf`). */
  printf(line: string): void {
    this.text += line;
  }

  /** Appends `line` and a newline (velero's `d.Println`). */
  println(line = ""): void {
    this.text += `${line}\n`;
  }

  /** velero's DescribeMap: `Labels:  a=b` then one `k=v` per line, or `<none>`. */
  map(name: string, m: Readonly<Record<string, string>> | undefined): void {
    this.printf(`${name}:\t`);
    const keys = Object.keys(m ?? {}).sort();
    if (keys.length === 0) {
      this.printf(`${NONE}\n`);
      return;
    }
    keys.forEach((key, i) => {
      this.printf(`${i === 0 ? "" : "\t"}${key}=${m?.[key]}\n`);
    });
  }

  /** velero's DescribeSlice: the name indented by `indent` tabs, then one item per line, or `<none>`. */
  slice(indent: number, name: string, items: readonly string[] | undefined): void {
    const tabs = "\t".repeat(indent);
    this.printf(`${tabs}${name}:\t`);
    if (!items || items.length === 0) {
      this.printf(`${tabs}${NONE}\n`);
      return;
    }
    items.forEach((item, i) => {
      this.printf(`${i === 0 ? "" : `${tabs}\t`}${item}\n`);
    });
  }

  /**
   * velero's describeResult: the warnings or errors (`name`) of a backup's or restore's results file,
   * as Velero, Cluster and per-namespace lists.
   */
  result(name: string, result: Result | undefined): void {
    this.printf(`${name}:\n`);
    this.slice(1, "Velero", result?.velero);
    this.slice(1, "Cluster", result?.cluster);
    const namespaces = Object.keys(result?.namespaces ?? {}).sort();
    if (namespaces.length === 0) {
      this.printf(`\tNamespaces: ${NONE}\n`);
      return;
    }
    this.printf("\tNamespaces:\n");
    for (const ns of namespaces) this.slice(2, ns, result?.namespaces?.[ns]);
  }

  /** The aligned text. */
  toString(): string {
    return tabwrite(this.text, DESCRIBE_OPTIONS);
  }
}
