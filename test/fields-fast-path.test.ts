// -T fields with header fields only skips conversation analysis; the values must be exactly those
// the fully analysed run prints, on every corpus capture (tunnels, ICMP quotes, fragments, AccECN).
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import '../src/packet-modules';
import { withConcatenated } from './helpers/concatenated';
import { runCli } from './helpers/parallel';
import { isHeaderField } from '../src/app/main-command';
import { allFields } from '../src/fields/registry';

const corpus = corpusDir();

test('header-only field lists print the same values with and without analysis', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const header = allFields().map((f) => f.name).filter(isHeaderField);
  assert.ok(header.includes('tcp.len') && header.includes('ip.src') && !header.includes('tcp.stream') && !header.includes('tcp.flags.ae'));
  // One column that needs analysis forces the full pipeline: the reference run. Every capture, read as one.
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n));
  await withConcatenated(files, async ({ file, where }) => {
    const args = ['-r', file, '-T', 'fields', ...header.flatMap((f) => ['-e', f])];
    const [fast, full] = await Promise.all([runCli(args), runCli([...args, '-e', 'tcp.stream'])]);
    assert.equal(fast.status, 0, fast.stderr);
    assert.equal(full.status, 0, full.stderr);
    const fastLines = fast.stdout.split('\n'), fullLines = full.stdout.split('\n');
    assert.ok(fastLines.length > 3000, `frames: ${fastLines.length}`);
    assert.equal(fastLines.length, fullLines.length);
    for (let i = 0; i < fastLines.length; i++) {
      const l = fullLines[i], cut = l.lastIndexOf('\t');
      assert.equal(fastLines[i], cut < 0 ? l : l.slice(0, cut), where(i + 1));
    }
  });
});
