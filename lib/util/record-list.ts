/**
 * The record files beside a backup's archive (`<backup>-podvolumebackups.json.gz`,
 * `-volumesnapshots.json.gz`, `-volumeinfo.json.gz`) must be what their names say: a list of objects.
 * Their readers check it, so anything else is a corrupt backup that a restore refuses before anything
 * is restored (as Velero refuses a restore whose records it cannot decode) and a delete refuses before
 * anything is deleted — rather than either failing later with a JavaScript error.
 */
import { describeValue, FormatError } from "../errors.ts";
import { isRecord } from "../util/is-record.ts";

/** Throws a `FormatError` unless `value` is an array of objects. */
export const checkRecordList = (backupName: string, suffix: string, what: string, value: unknown): void => {
  const file = `${backupName}-${suffix}`;
  const problem = !Array.isArray(value)
    ? `it holds ${describeValue(value)}`
    : (() => {
        const at = value.findIndex((element) => !isRecord(element));
        return at === -1 ? undefined : `its element ${at} is ${describeValue(value[at])}`;
      })();
  if (problem !== undefined) {
    throw new FormatError(
      `backup "${backupName}": ${file} is not a list of ${what} (${problem}); the backup is corrupt — use another backup, or remove the file if the backup has no ${what}`,
    );
  }
};
