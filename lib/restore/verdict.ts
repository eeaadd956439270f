import type { PlanAction } from "./result.ts";

/**
 * How one item's restore ended: what its plan entry records. A stage of the item pipeline returns one
 * to stop there; anything else it returns goes on to the next stage.
 */
export class Verdict {
  /** What was (or would be) done. */
  readonly action: PlanAction;
  /** Why, for the plan entry. @default none */
  readonly reason: string | undefined;
  /** The name recorded when it is not the item's (a Namespace restored under its mapped name). @default the item's */
  readonly name: string | undefined;

  constructor(action: PlanAction, reason?: string, name?: string) {
    this.action = action;
    this.reason = reason;
    this.name = name;
  }
}

/** Whether a stage's result ends the item. */
export const isVerdict = (value: unknown): value is Verdict => value instanceof Verdict;
