const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);
const LOCAL_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Why `name` is not a valid action name, or undefined when it is. Velero's rule
 * (`ValidatePluginName`): `<DNS-1123 subdomain>/<non-empty name>`, e.g. `example.io/redact-secrets`;
 * Stowage also limits the part after `/` to `[A-Za-z0-9._-]` so names read well in logs.
 */
export const actionNameProblem = (name: unknown): string | undefined => {
  if (typeof name !== "string") {
    return `expected a name like "example.io/redact-secrets", received ${name === undefined ? "no name" : typeof name}`;
  }
  const example = `expected "<dns-subdomain>/<name>" like "example.io/redact-secrets"`;
  const parts = name.split("/");
  if (parts.length !== 2) return `name "${name}" must have exactly one "/": ${example}`;
  const [prefix, local] = parts as [string, string];
  if (prefix === "" || local === "") return `name "${name}" has an empty part: ${example}`;
  if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
    return `name "${name}": "${prefix}" is not a DNS subdomain (lowercase letters, digits, "-" and ".", at most 253 characters): ${example}`;
  }
  if (!LOCAL_NAME.test(local)) {
    return `name "${name}": "${local}" may only contain letters, digits, ".", "_" and "-": ${example}`;
  }
  return undefined;
};
