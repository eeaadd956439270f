/**
 * A writer test/store/fs-temp-files.test.ts kills: puts `argv[3]` into `fsStore(argv[2])` from a stream
 * that sends 64 KiB and then never ends, so the write stays in its temp file until the process dies.
 */
import { Readable } from "node:stream";
import { fsStore } from "../../lib/store/fs-store.ts";

const [dir = "", key = ""] = process.argv.slice(2);
let sent = false;
const body = new Readable({
  read() {
    if (sent) return; // never ends: the write waits for more
    sent = true;
    this.push(Buffer.alloc(64 * 1024, 1));
  },
});
setInterval(() => {}, 60_000); // alive until killed, however long the write waits
await fsStore(dir, { fsync: false }).put(key, body);
