// Process-wide item actions: validated when registered, unique by name, removable, rolled back when a
// runner script that registered them fails to load.
import assert from "node:assert/strict";
import { test } from "node:test";
import { registeredActionsMark, rollbackRegisteredActions } from "../../lib/actions/registered.ts";
import {
  registerBackupItemAction,
  registeredBackupItemActions,
  registeredRestoreItemActions,
  registerRestoreItemAction,
  ValidationError,
} from "../../lib/index.ts";

test("registering validates, keeps order, refuses duplicates and returns an unregister function", () => {
  const before = registeredBackupItemActions().length;
  const offA = registerBackupItemAction({ name: "example.io/a", execute: () => {} });
  const offB = registerBackupItemAction({ name: "example.io/b", execute: () => {} });
  assert.deepEqual(
    registeredBackupItemActions()
      .slice(before)
      .map((a) => a.name),
    ["example.io/a", "example.io/b"],
  );
  assert.throws(
    () => registerBackupItemAction({ name: "example.io/a", execute: () => {} }),
    (e: unknown) => e instanceof ValidationError && /already registered/.test(e.message),
  );
  assert.throws(
    () => registerRestoreItemAction({ name: "no-domain", execute: undefined as never }),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.problems.length === 2 &&
      /execute: expected a function/.test(e.message),
  );
  offA();
  offB();
  assert.equal(registeredBackupItemActions().length, before);
});

test("a mark and a rollback drop what was registered after the mark", () => {
  const mark = registeredActionsMark();
  registerBackupItemAction({ name: "example.io/partial", execute: () => {} });
  registerRestoreItemAction({ name: "example.io/partial", execute: () => {} });
  assert.equal(rollbackRegisteredActions(mark), 2);
  assert.ok(!registeredBackupItemActions().some((a) => a.name === "example.io/partial"));
  assert.ok(!registeredRestoreItemActions().some((a) => a.name === "example.io/partial"));
});
