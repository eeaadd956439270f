/**
 * Who takes the schedules a script creates. A script run on its own has no host: its schedules start at
 * once. The runner and `stowage schedule get` install a host while they load scripts, so schedules are
 * collected (and started by the runner, behind leader election) instead.
 *
 * The host lives on `globalThis` under a registered symbol so that a script importing `stowage` through
 * another path than the runner still reaches the same host.
 */
import type { Schedule } from "./types.ts";

/** Takes the schedules created while it is installed. */
export interface ScheduleHost {
  adopt(schedule: Schedule): void;
}

const KEY = Symbol.for("stowage.schedule.host");
type Holder = { [KEY]?: ScheduleHost };

/** Installs `host` (or none); returns the previous one so callers can restore it. */
export const setScheduleHost = (host: ScheduleHost | undefined): ScheduleHost | undefined => {
  const holder = globalThis as Holder;
  const previous = holder[KEY];
  if (host) holder[KEY] = host;
  else delete holder[KEY];
  return previous;
};

/** Hands a new schedule to the installed host, or starts it when there is none. */
export const adoptSchedule = (schedule: Schedule): void => {
  const host = (globalThis as Holder)[KEY];
  if (host) host.adopt(schedule);
  else schedule.start();
};

/** A host that just collects schedules (for previews and the runner's loader). */
export const collectingHost = (): ScheduleHost & { readonly schedules: Schedule[] } => {
  const schedules: Schedule[] = [];
  return { schedules, adopt: (schedule) => void schedules.push(schedule) };
};
