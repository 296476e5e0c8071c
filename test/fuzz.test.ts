// A short, seeded run of the fuzzer (npm run fuzz runs a million frames), and every crasher ever
// found replayed through the command line. The per-frame budget here is 2 s: CI shares its two cores,
// and a GC pause must not pass for a hang; an endless loop still fails it.
//
// npm test may run this file beside another: it captures nothing live, and its one time bound (2 s a frame) is generous.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runFuzz, watchGcPauses, judgeSlowFrames } from '../scripts/fuzz';
import { corpusDir, listFiles, CLI, REPO_ROOT, NO_CORPUS_REASON } from './helpers/corpus';

const corpus = corpusDir();

test('20,000 mutated corpus frames: no exception, no frame over its time budget, bounded heap', { skip: corpus === null ? NO_CORPUS_REASON : false }, async (t) => {
  const crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-fuzz-'));
  const gc = watchGcPauses();
  const res = runFuzz({ frames: 20000, seed: 20261125, budgetMs: 2000, corpus, crashDir, randpkt: true });
  await judgeSlowFrames(res, gc, 2000, 20261125, crashDir);
  t.diagnostic(`${res.frames} frames in ${res.seconds.toFixed(1)} s; slowest ${res.slowest.toFixed(1)} ms; heap growth ${res.heapGrowthMiB.toFixed(1)} MiB`);
  t.diagnostic(`everyday protocols reached: ${JSON.stringify(res.reachedEveryday)}`);
  assert.deepEqual(res.failures, []);
  assert.ok(res.heapGrowthMiB < 64, `heap grew ${res.heapGrowthMiB} MiB`);
  // the mutated frames reach the dissectors of the everyday protocols, not only TCP and TLS (AJP13's
  // packets and form bodies in the corpus span segments, which single mutated frames never complete)
  for (const name of ['dhcp', 'ntp', 'ntp.ctrl.data', 'ripng', 'nbns', 'nbns.ttl', 'nbss', 'smb2']) assert.ok(res.reachedEveryday[name] >= 10, `${name}: ${res.reachedEveryday[name]} fuzzed frames`);
});

test('every saved crasher reads through every output format', () => {
  const files = listFiles(path.join(REPO_ROOT, 'test', 'fixtures', 'crashers'), (n) => /\.pcap(ng)?$/.test(n));
  for (const file of files) {
    for (const args of [[], ['-V', '-x'], ['-T', 'json']]) {
      const r = spawnSync(process.execPath, [CLI, '-r', file, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${path.basename(file)} ${args.join(' ')}: ${r.stderr}`);
    }
  }
});
