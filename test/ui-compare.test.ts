// The compare view and the verdict columns in a real terminal (tmux, 160x50): E on a packet of an
// HTTPS stream of the bundled sample shows its ciphertext beside the decrypted "GET /" and the
// stream's verdict; the conversations table (C) shows each stream's verdict and entropy, and E on
// a conversation compares that stream; without the embedded key log the same streams say
// encrypted-without-keys.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './helpers/corpus';
import { Tmux, haveTmux, lineWith } from './helpers/tmux';
import { copyWithoutSecrets } from './helpers/compare-cases';

const skip = haveTmux() ? false : 'tmux is not installed';
const SAMPLE = path.join(REPO_ROOT, 'samples', 'lab.pcapng');

async function withTmux(args: string[], fn: (t: Tmux) => Promise<void>): Promise<void> {
  // SSLKEYLOGFILE from the user's environment must not decrypt what the test expects encrypted.
  const t = Tmux.start(args, { SSLKEYLOGFILE: '' });
  try {
    await fn(t);
  } finally {
    t.kill();
  }
}

test('E on an HTTPS packet: ciphertext beside the decrypted GET /, and the verdict; C lists verdicts and entropy', { skip }, () =>
  withTmux(['-r', SAMPLE], async (t) => {
    await t.waitForText('shown 55 / 55');
    // frame 49: the TLS 1.2 client's Application Data record
    t.keys(':');
    await t.waitForText('Go to packet:');
    t.keys('4', '9', 'Enter');
    await t.waitForText('Packet details — frame 49');
    t.keys('E');
    let s = await t.waitForText('Compare TCP stream 3');
    assert.match(s, /verdict: decrypted \(TLS 1\.2\)/);
    // E on a packet scrolls to its segment: the request is on screen without paging
    const get = lineWith(s, '│ GET / HTTP/1.1');
    assert.match(get, /^[0-9a-f]{4}  ([0-9a-f]{2} ){16} /, 'hex of the ciphertext beside the request');
    assert.doesNotMatch(get.split(' │ ')[0], /GET/);
    assert.match(lineWith(s, '17 03 03 00 4e'), /‹record header›\s+│ TLS record: Application Data, TLS 1\.2, length 78 \(encrypted\)/);
    t.keys('End');
    s = await t.waitForText('verdict: decrypted (TLS 1.2): all 6 protected records decrypted');
    assert.match(s, /entropy: 7\.45 bits\/byte over 1876 bytes of payload/);

    t.keys('Escape');
    await t.waitForText('Display filter:');
    t.keys('C');
    s = await t.waitForText('TCP conversations: 4');
    assert.match(lineWith(s, /Stream\s+Address A/), /Verdict\s+Entropy Flags/);
    assert.match(lineWith(s, /127\.0\.0\.1\s+8989\s/), /plaintext\s+2\.25 SYN FIN/);
    assert.match(lineWith(s, /127\.0\.0\.1\s+39470\s/), /decrypted \(TLS 1\.3\)\s+7\.80 SYN FIN RST/);
    assert.match(lineWith(s, /127\.0\.0\.1\s+39472\s/), /decrypted \(TLS 1\.3\)\s+7\.78 SYN FIN RST/);
    assert.match(lineWith(s, /127\.0\.0\.1\s+39484\s/), /decrypted \(TLS 1\.2\)\s+7\.45 SYN FIN RST/);
    // E on a conversation: the stream of the row under the cursor (stream 3 was selected; up to 2)
    t.keys('k', 'E');
    s = await t.waitForText('Compare TCP stream 2');
    assert.match(s, /verdict: decrypted \(TLS 1\.3\)/);
    s = await t.waitForText('│ GET /missing HTTP/1.1');
    t.keys('q');
    await t.waitForText('Display filter:');
    t.keys('q');
    await t.waitForText('[tcpwatch exited 0]');
  }));

test('without the key log: the conversations say encrypted-without-keys, the compare view "encrypted, no key"', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-compare-'));
  try {
    const bare = path.join(dir, 'lab-without-secrets.pcapng');
    copyWithoutSecrets(SAMPLE, bare);
    await withTmux(['-r', bare], async (t) => {
      await t.waitForText('shown 55 / 55');
      t.keys('C');
      let s = await t.waitForText('TCP conversations: 4');
      assert.match(lineWith(s, /127\.0\.0\.1\s+8989\s/), /plaintext\s+2\.25/);
      assert.match(lineWith(s, /127\.0\.0\.1\s+39470\s/), /encrypted-without-keys \(TLS 1\.3\)\s+7\.80/);
      assert.match(lineWith(s, /127\.0\.0\.1\s+39484\s/), /encrypted-without-keys \(TLS 1\.2\)\s+7\.45/);
      t.keys('j', 'E');
      s = await t.waitForText('Compare TCP stream 1');
      assert.match(s, /verdict: encrypted-without-keys \(TLS 1\.3\)/);
      assert.match(s, /│ encrypted, no key/);
      assert.doesNotMatch(s, /GET \//);
      t.keys('Escape');
      await t.waitForText('Display filter:');
      // the chat: E on its first data packet shows "Hey" readable on both sides
      t.keys(':');
      await t.waitForText('Go to packet:');
      t.keys('4', 'Enter');
      await t.waitForText('Packet details — frame 4');
      t.keys('E');
      s = await t.waitForText('Compare TCP stream 0');
      assert.match(lineWith(s, '48 65 79'), /Hey\s+│ Hey$/);
      assert.match(s, /verdict: plaintext/);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
