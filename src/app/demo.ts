// `tcpwatch demo`: the lab in one command. It starts the chat server and the HTTPS server on
// loopback, captures `lo` while the scripted chat exchange and a few HTTPS requests run, saves the
// capture as pcapng with the key log embedded, and opens it the way `tcpwatch -r` would (the UI on
// a terminal, packet lines with --no-ui) with the key log loaded. Without permission to capture it
// says so and opens the bundled sample, the same scenario recorded once by scripts/record-sample.ts.
//
// As root, the demo records as root (only the capture needs it: the servers use ports above 1023,
// and the recording writes frames without dissecting them). Without -w it then hands what it saved
// to the account live capture runs as (src/capture/privileges.ts: the sudo user, else tcpdump's
// account or nobody; -Z USER, or -Z root to keep root) and gives up root before the first packet
// is dissected.

import { copyFileSync, existsSync, mkdtempSync, rmSync, chmodSync, lchownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { MainOptions } from '../hooks';
import { UsageError } from '../errors';
import { sanitizeText } from '../output/sanitize';
import { runMain } from './main-command';
import { CaptureUnavailable, recordLabScenario } from '../lab/scenario';
import { liveCaptureAccount, dropPrivilegesOrExplain } from '../capture/privileges';

export { DEFAULT_TLS_PORT } from '../lab/scenario';

// dist/src/app/ → the package root, where samples/ lives beside bin/ and dist/.
const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');
export const SAMPLE_CAPTURE = join(PACKAGE_ROOT, 'samples', 'lab.pcapng');
export const SAMPLE_KEYLOG = join(PACKAGE_ROOT, 'samples', 'lab.keylog');

function say(line: string): void {
  process.stderr.write(`tcpwatch demo: ${sanitizeText(line)}\n`);
}

interface Saved {
  capture: string;
  keylog: string;
}

/** Where the demo keeps what it recorded: beside -w FILE, or in a new private directory. */
function destination(write: string | undefined): Saved {
  if (write !== undefined) {
    if (!/\.pcapng$/i.test(write)) throw new UsageError(`demo saves pcapng, with the key log inside: give -w a name ending in .pcapng (not "${write}")`);
    const dir = dirname(resolve(write));
    if (!existsSync(dir)) throw new UsageError(`${dir}: no such directory for -w`);
    return { capture: resolve(write), keylog: join(dir, basename(write).replace(/\.pcapng$/i, '') + '.keylog') };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-demo-'));
  return { capture: join(dir, 'lab.pcapng'), keylog: join(dir, 'lab.keylog') };
}

export async function runDemo(opts: MainOptions): Promise<void> {
  const account = liveCaptureAccount(opts.user);
  const saved = destination(opts.write);
  // The servers' key log and tcpdump's raw file live in a scratch directory of their own, so a
  // key log left by an earlier run is never appended to.
  const scratch = mkdtempSync(join(tmpdir(), 'tcpwatch-demo-raw-'));
  let capture: string;
  let keylog: string;
  try {
    const result = await recordLabScenario({
      outputPath: saved.capture,
      keylogPath: join(scratch, 'keylog.txt'),
      rawCapturePath: join(scratch, 'raw-capture'),
      fallbackToAnyPort: true,
      log: say,
    });
    copyFileSync(join(scratch, 'keylog.txt'), saved.keylog);
    chmodSync(saved.keylog, 0o600);
    capture = saved.capture;
    keylog = saved.keylog;
    say(`${result.frames} packets saved in ${capture} (key log embedded, and in ${keylog})`);
    say(`TCP stream 0 is the chat on port ${result.chatPort}; streams 1 to ${result.https.length} are HTTPS on port ${result.tlsPort}`);
    say(`explain a stream with: tcpwatch -r ${capture} --explain 0`);
  } catch (e) {
    if (!(e instanceof CaptureUnavailable)) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(`the demo could not run: ${err.code ? `${err.code} ` : ''}${err.message}`);
    }
    if (opts.write === undefined) rmSync(dirname(saved.capture), { recursive: true, force: true });
    if (!existsSync(SAMPLE_CAPTURE)) throw new UsageError(`cannot capture (${e.message}) and the bundled sample ${SAMPLE_CAPTURE} is missing`);
    say(`cannot capture here: ${e.message}`);
    say(`opening the bundled sample instead: ${SAMPLE_CAPTURE}, the same scenario (chat on 8989, HTTPS on 8443) recorded once by scripts/record-sample.ts, key log embedded`);
    say('run it as root (sudo tcpwatch demo) to capture the lab live on this machine');
    capture = SAMPLE_CAPTURE;
    keylog = SAMPLE_KEYLOG;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  // Saved in the demo's own directory (no -w): that directory and its two files become the
  // account's, and root is given up before dissecting. A -w path lies in a directory the account
  // may not be able to enter, so the demo then dissects as it recorded.
  if (account !== null && opts.write === undefined) {
    if (capture === saved.capture) {
      for (const p of [dirname(capture), capture, keylog]) if (existsSync(p)) lchownSync(p, account.uid, account.gid);
    }
    dropPrivilegesOrExplain(account);
  }
  await runMain({ ...opts, readFile: capture, keylog: existsSync(keylog) ? keylog : undefined, write: undefined, interface: undefined, user: undefined }, []);
}
