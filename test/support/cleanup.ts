import { after } from "node:test";

const tasks: Array<() => unknown> = [];

// Registered when this module is first imported (at the top level of a test file's import graph), so it
// runs once, after every test of the file, whatever test registered the work.
after(async () => {
  for (const task of tasks.splice(0).reverse()) {
    try {
      await task();
    } catch (error) {
      process.stderr.write(`cleanup failed: ${(error as Error).message}\n`);
    }
  }
});

/** Runs `task` after the whole test file (last registered, first run). */
export const onCleanup = (task: () => unknown): void => {
  tasks.push(task);
};
