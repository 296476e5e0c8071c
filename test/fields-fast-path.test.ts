// -T fields with header fields only skips conversation analysis; the values must be exactly those
// the fully analysed run prints, on every corpus capture (tunnels, ICMP quotes, fragments, AccECN).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { corpusDir, listFiles, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import '../src/packet-modules';
import { isHeaderField } from '../src/app/main-command';
import { allFields } from '../src/fields/registry';

const corpus = corpusDir();

test('header-only field lists print the same values with and without analysis', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const header = allFields().map((f) => f.name).filter(isHeaderField);
  assert.ok(header.includes('tcp.len') && header.includes('ip.src') && !header.includes('tcp.stream') && !header.includes('tcp.flags.ae'));
  // One column that needs analysis forces the full pipeline: the reference run.
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n));
  for (const file of files) {
    const args = ['-r', file, '-T', 'fields', ...header.flatMap((f) => ['-e', f])];
    const fast = execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const full = execFileSync(process.execPath, [CLI, ...args, '-e', 'tcp.stream'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const strip = full.split('\n').map((l) => l.slice(0, l.lastIndexOf('\t') < 0 ? l.length : l.lastIndexOf('\t'))).join('\n');
    assert.equal(fast, strip, path.basename(file));
  }
});
