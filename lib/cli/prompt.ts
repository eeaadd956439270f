/** Yes/no questions on a terminal (velero's "Are you sure you want to continue (Y/N)?"). */
import { createInterface } from "node:readline/promises";
import type { Io } from "./types.ts";

/** Asks `question` on stderr and reads one line from stdin; true for y/yes (any case). */
export const confirm = async (io: Io, question: string): Promise<boolean> => {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  try {
    io.stderr.write(`${question} (Y/N)? `);
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
};
