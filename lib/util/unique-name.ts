import { randomUUID } from "node:crypto";

/**
 * `base` followed by `-<random UUID>`, `base` cut short so that the whole name fits in `maxLength`
 * characters (a provider's limit on resource names, e.g. 63 on GCE, 80 on Azure).
 */
export const uniqueName = (base: string, maxLength: number): string => {
  const suffix = `-${randomUUID()}`;
  return `${base.slice(0, maxLength - suffix.length)}${suffix}`;
};
