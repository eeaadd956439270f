import { ValidationError } from "../errors.ts";
import type { VolumeSnapshotLocation } from "./types.ts";

/**
 * Parses a volume snapshot location written on one line, as the CLI's `--volume-snapshot-locations`
 * takes it: `NAME=PROVIDER[?KEY=VALUE&KEY=VALUE]`, values URL-encoded where needed (`%2C` for a comma).
 *
 * @example
 * parseSnapshotLocationSpec("default=aws?region=eu-west-1")
 * // { name: "default", provider: "aws", config: { region: "eu-west-1" } }
 */
export const parseSnapshotLocationSpec = (spec: string): VolumeSnapshotLocation => {
  const match = /^([^=?]+)=([^?]+)(?:\?(.*))?$/.exec(spec.trim());
  if (!match) {
    throw new ValidationError(
      [
        `"${spec}" is not NAME=PROVIDER[?KEY=VALUE&KEY=VALUE], e.g. "default=aws?region=us-east-1" or "snaps=local?path=/var/lib/snapshots"`,
      ],
      "volume snapshot location",
    );
  }
  const config: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(match[3] ?? "")) config[key] = value;
  return { name: match[1]!.trim(), provider: match[2]!.trim(), config };
};
