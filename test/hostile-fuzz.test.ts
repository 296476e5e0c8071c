// The fuzzer's mutations reach the layers behind protection (scripts/fuzz.ts): HTTP/2 and HPACK in
// TLS the pipeline decrypts with its key log, and the CRYPTO frames of QUIC Initials, whose plaintext
// is mutated before it is sealed. A short seeded run over the corpus must decode headers and read
// handshakes there, not only fail authentication.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runFuzz, watchGcPauses, judgeSlowFrames } from '../scripts/fuzz';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';

const corpus = corpusDir();

test('5,000 fuzzed frames reach decrypted HTTP/2 headers and QUIC Client Hellos, with no failure', { skip: corpus === null ? NO_CORPUS_REASON : false }, async (t) => {
  const crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-fuzz-reach-'));
  try {
    const gc = watchGcPauses();
    const res = runFuzz({ frames: 5000, seed: 7, budgetMs: 2000, corpus, crashDir, randpkt: false });
    await judgeSlowFrames(res, gc, 2000, 7, crashDir);
    t.diagnostic(`reached: ${JSON.stringify(res.reached)} in ${res.seconds.toFixed(1)} s`);
    assert.deepEqual(res.failures, []);
    // One frame in 25 starts a session; half are HTTP/2 (about ten frames each), half one QUIC Initial.
    assert.ok(res.reached.http2 > 50, `HTTP/2 in ${res.reached.http2} frames`);
    assert.ok(res.reached.http2Headers > 20, `decoded headers in ${res.reached.http2Headers} frames`);
    assert.ok(res.reached.quicHandshake > 20, `QUIC handshake messages in ${res.reached.quicHandshake} frames`);
  } finally {
    fs.rmSync(crashDir, { recursive: true, force: true });
  }
});
