// Records the bundled sample, samples/lab.pcapng and samples/lab.keylog: the lab scenario on
// loopback (the port-8989 chat: connect, "Hey", the server's answer, the server closes first; then
// HTTPS to the local TLS server on 8443, twice over TLS 1.3 and once over TLS 1.2), captured on `lo`
// and saved as pcapng with the key log in a Decryption Secrets Block ahead of the packets.
// `npm start` opens it, and `tcpwatch demo` falls back to it where it cannot capture.
//
// Run once, as root (capturing needs it), with ports 8989 and 8443 free:
//   npx tsc -p tsconfig.json && node dist/scripts/record-sample.js
// The key log holds only the secrets of that throwaway server's sessions.

import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { recordLabScenario, DEFAULT_TLS_PORT } from '../src/lab/scenario';
import { DEFAULT_CHAT_PORT } from '../src/lab/chat';

const REPO_ROOT = resolve(__dirname, '..', '..');
const CAPTURE = join(REPO_ROOT, 'samples', 'lab.pcapng');
const KEYLOG = join(REPO_ROOT, 'samples', 'lab.keylog');
// The sample is committed: it must stay small enough to read in a review and to clone without noticing.
const MAX_SAMPLE_BYTES = 100 * 1024;

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'tcpwatch-sample-'));
  // The server appends to its key log; start from nothing so only this recording's secrets are in it.
  rmSync(KEYLOG, { force: true });
  try {
    const result = await recordLabScenario({
      outputPath: CAPTURE,
      keylogPath: KEYLOG,
      rawCapturePath: join(scratch, 'raw-capture'),
      chatPort: DEFAULT_CHAT_PORT,
      tlsPort: DEFAULT_TLS_PORT,
      // the committed sample was captured by tcpdump (-i lo -U --immediate-mode), then rewritten by tcpwatch
      useTcpdump: true,
      log: (line) => console.log(line),
    });
    if (!result.chat.serverClosedFirst) throw new Error('the chat server did not close first; the sample would not show the lab teardown');
    // The sample is for anyone to open (npm start as an ordinary user).
    chmodSync(CAPTURE, 0o644);
    chmodSync(KEYLOG, 0o644);
    const size = statSync(CAPTURE).size, keySize = statSync(KEYLOG).size;
    console.log(`${CAPTURE}: ${result.frames} frames, ${size} bytes (captured with ${result.tool})`);
    console.log(`${KEYLOG}: ${keySize} bytes`);
    if (size > MAX_SAMPLE_BYTES) throw new Error(`the sample is ${size} bytes, more than ${MAX_SAMPLE_BYTES}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`record-sample: ${e.message}`);
  process.exitCode = 1;
});
