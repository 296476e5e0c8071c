// Captures that once crashed or over-read tcpdump: each is read to its end or to a clear one-line
// error, in every output format, with exit status 0 or 2 and never a stack trace.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { inParallel, runCli } from './helpers/parallel';

const corpus = corpusDir();

test('every malformed capture: packets or a clear error, in every output format', { skip: corpus === null ? NO_CORPUS_REASON : false }, async (t) => {
  const files = listFiles(path.join(corpus!, 'malformed'), (n) => /\.(pcap|pcapng|cap)$/.test(n));
  assert.ok(files.length >= 70, `malformed captures: ${files.length}`);
  let frames = 0, errors = 0;
  // All formats in one run per file keeps the test fast: text, details+hex, fields, json.
  const formats = [['-V', '-x', '-P'], ['-T', 'fields', '-e', 'frame.protocols', '-e', '_ws.col.Info', '-e', 'tcp.payload', '-e', '_ws.malformed'], ['-T', 'json']];
  const runs = files.flatMap((file) => formats.map((args) => ({ file, args })));
  await inParallel(runs, ({ file, args }) => runCli(['-r', file, ...args], 20000), ({ file, args }, r) => {
    assert.ok(r.status === 0 || r.status === 2, `${path.basename(file)} ${args[0]}: status ${r.status} ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at |Error:|TypeError|RangeError/, `${path.basename(file)}: stack trace`);
    if (r.status === 2) {
      assert.match(r.stderr, /^tcpwatch: .*at byte offset \d+\n$/, `${path.basename(file)}: one line naming the offset`);
      if (args[0] === '-V') errors++;
    }
    if (args[0] === '-T' && args[1] === 'json') JSON.parse(r.stdout);
    if (args[0] === '-V') frames += (r.stdout.match(/^Frame \d+:/gm) ?? []).length;
    // nothing raw from the packet reaches the output: no ESC or other C0 control except newline
    assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, `${path.basename(file)} ${args[0]}: control character in output`);
  });
  t.diagnostic(`${files.length} malformed captures: ${frames} frames shown, ${errors} files ended with a clear error`);
});
