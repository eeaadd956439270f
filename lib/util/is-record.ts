/**
 * True for a JSON object or any other non-null, non-array object: what a parsed config map, manifest
 * or annotation must be before its keys are read. Arrays and null are not records.
 */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
