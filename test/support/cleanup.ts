const tasks: Array<() => unknown> = [];

// Under the test runner (`node --test` and the file processes it starts), registered when this module is
// first imported (at the top level of a test file's import graph), so it runs once, after every test of
// the file, whatever test registered the work. Scripts that borrow the harness (the bench, run-env) do
// not load node:test at all: importing it starts a test harness that prints an empty report at exit.
const underTestRunner =
  process.env.NODE_TEST_CONTEXT !== undefined || process.execArgv.some((arg) => arg.startsWith("--test"));
if (underTestRunner) {
  const { after } = await import("node:test");
  after(async () => {
    for (const task of tasks.splice(0).reverse()) {
      try {
        await task();
      } catch (error) {
        process.stderr.write(`cleanup failed: ${(error as Error).message}\n`);
      }
    }
  });
}

/** Runs `task` after the whole test file (last registered, first run); outside the test runner, never. */
export const onCleanup = (task: () => unknown): void => {
  tasks.push(task);
};
