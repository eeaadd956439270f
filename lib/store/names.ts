/**
 * What backup, restore and namespace names may look like (Kubernetes object names). Pure checks, no
 * keys: the store's key layout builds on them, and callers check names before anything is written.
 */
import { ValidationError } from "../errors.ts";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The problem with `name` as a Kubernetes object name (DNS-1123 subdomain), or undefined when valid. */
export const objectNameProblem = (name: unknown): string | undefined => {
  if (typeof name !== "string") return `must be a string, got ${typeof name}`;
  if (name === "") return "must not be empty";
  if (name.length > 253) return `must be at most 253 characters, got ${name.length}`;
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return `${JSON.stringify(name)} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (a DNS-1123 subdomain, e.g. "shop-nightly-20261122030000")`;
  }
  return undefined;
};

/**
 * Throws a ValidationError unless `name` is a valid backup/restore name; returns it.
 * @param kind what the name names, for the message. @default "backup"
 */
export const validateObjectName = (name: unknown, kind: "backup" | "restore" = "backup"): string => {
  const problem = objectNameProblem(name);
  if (problem !== undefined) throw new ValidationError([problem], `${kind} name`);
  return name as string;
};

/** The problem with `namespace` as a namespace name (DNS-1123 label, ≤ 63), or undefined when valid. */
export const namespaceNameProblem = (namespace: unknown): string | undefined =>
  typeof namespace !== "string" || namespace.length > 63 || !DNS1123_LABEL.test(namespace)
    ? `${JSON.stringify(namespace)} must be a DNS-1123 label: at most 63 lower case alphanumeric characters or '-', starting and ending with an alphanumeric character`
    : undefined;

/** Throws a ValidationError unless `namespace` is a valid namespace name (DNS-1123 label, ≤ 63). */
export const validateNamespaceName = (namespace: unknown): string => {
  const problem = namespaceNameProblem(namespace);
  if (problem !== undefined) throw new ValidationError([problem], "namespace name");
  return namespace as string;
};
