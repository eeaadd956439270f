// Backups written by a real Velero 1.18.3, kept in the repository (test/fixtures/velero-1.18.3; its
// README says where they came from). Nothing under the repository reads outside it.
import { join } from "node:path";

/** The fixture location's root, laid out as a backup location: `backups/<name>/…`. */
export const VELERO_FIXTURES = join(import.meta.dirname, "..", "fixtures", "velero-1.18.3");

/** The `backups/` folder of {@link VELERO_FIXTURES}. */
export const VELERO_BACKUPS = join(VELERO_FIXTURES, "backups");
