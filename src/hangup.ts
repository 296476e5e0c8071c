// Leaving after the terminal has gone (the window closed, ssh dropped): Node 20 restores the
// terminal's modes on the way out (ResetStdio) and asserts that tcsetattr succeeded, which on a
// terminal that hung up it does not (EIO): abort, exit status 134 (nodejs/node#51519, fixed in Node
// by nodejs/node#58200, not in Node 20). ResetStdio leaves alone any of descriptors 0-2 that no
// longer refer to the file they did at startup ("program reopened file descriptor"), so pointing
// them at /dev/null first lets the process end with the status it chose. Only for a terminal that
// is gone: there is nothing left to restore on it, and nobody to read what would be written there.

import * as fs from 'node:fs';

/** Exit with `code`, without touching descriptors 0-2 (the terminal that hung up) on the way. */
export function exitAfterHangup(code: number): never {
  for (const fd of [0, 1, 2]) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
  // open() takes the lowest free descriptors: 0, 1 and 2 again, now /dev/null.
  for (const flags of ['r', 'w', 'w'] as const) {
    try {
      fs.openSync('/dev/null', flags);
    } catch {
      // closed descriptors are skipped by ResetStdio as well
    }
  }
  process.exit(code);
}
