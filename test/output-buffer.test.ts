// The headless output buffer encodes short strings and numbers itself rather than through
// Buffer.write and String(): what reaches the file must be exactly what those would have made.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { StringBuilder } from '../src/output/text-writer';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { throughFile } from './helpers/output-file';
import { withConcatenated } from './helpers/concatenated';
import { runCli } from './helpers/parallel';

test('short and long strings are encoded as UTF-8 exactly as Buffer.from encodes them', () => {
  const samples = [
    '', 'a', '127.0.0.1', ' \u2192 ', 'caf\u00e9', '\u00ff\u0100\u07ff\u0800\uffff',
    '\ud83d\ude00 smile', 'lone \ud800 high', 'lone \udc00 low', 'end \ud83d',
    'x'.repeat(32), '\u2192'.repeat(32), 'y'.repeat(33) + '\u2192', 'z'.repeat(5000),
  ];
  for (const s of samples) {
    assert.deepEqual(throughFile((w) => w.write(s)), Buffer.from(s, 'utf8'), JSON.stringify(s));
  }
  // Many writes in a row cross the flush threshold without losing or reordering bytes.
  const many: string[] = [];
  for (let i = 0; i < 20000; i++) many.push(i % 7 === 0 ? `\u2192${i}` : `row ${i} `);
  assert.deepEqual(throughFile((w) => { for (const s of many) w.write(s); }), Buffer.from(many.join(''), 'utf8'));
});

test('numbers, padded or not, are the digits a StringBuilder writes', () => {
  const cases: [number, number, boolean][] = [
    [0, 0, false], [7, 0, false], [10, 0, false], [4294967295, 0, false], [Number.MAX_SAFE_INTEGER, 0, false],
    [5, 5, false], [12345, 5, false], [123456, 5, false], [42, 9, true], [0, 6, true], [999999999, 9, true],
    [-3, 4, false], [1.5, 0, false], [NaN, 0, false],
  ];
  for (const [n, width, zero] of cases) {
    const sb = new StringBuilder();
    sb.writeUInt(n, width, zero);
    assert.equal(throughFile((w) => w.writeUInt(n, width, zero)).toString('utf8'), sb.text, `${n} width ${width} zero ${zero}`);
  }
  assert.equal(throughFile((w) => { for (let i = 0; i < 30000; i++) w.writeUInt(i, 6); }).toString(),
    Array.from({ length: 30000 }, (_, i) => String(i).padStart(6)).join(''));
});

// Summary lines are written piece by piece into the output buffer; the columns as fields are built
// as strings (and checked against tshark by the conformance test). Both must say the same.
const corpus = corpusDir();
test('every summary line of every corpus capture matches its columns as -T fields gives them', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.(pcap|pcapng|cap)$/.test(n));
  assert.ok(files.length >= 50, `${files.length} captures`);
  let rows = 0;
  await withConcatenated(files, async ({ file, where }) => {
    const [text, cols] = await Promise.all([runCli(['-r', file]), runCli(['-r', file, '-T', 'fields', '-E', 'separator=/t', '-e', '_ws.col.No.',
      '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', '_ws.col.Protocol', '-e', 'frame.len', '-e', '_ws.col.Info'])]);
    assert.equal(text.status, 0, text.stderr);
    assert.equal(cols.status, 0, cols.stderr);
    const lines = text.stdout.split('\n').filter((l) => l !== '');
    const expected = cols.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, expected.length);
    for (let i = 0; i < lines.length; i++) {
      const [no, src, dst, proto, len, info] = expected[i].split('\t');
      const addr = src || dst ? `${src} \u2192 ${dst}` : '';
      const m = /^ *(\d+) +-?\d+\.\d+ (.*)$/.exec(lines[i]);
      assert.ok(m, `${where(i + 1)}: ${lines[i]}`);
      assert.equal(m[1], no, where(i + 1));
      assert.equal(m[2], `${addr} ${proto} ${len} ${info}`, where(i + 1));
      rows++;
    }
  });
  assert.ok(rows > 2000, `${rows} rows`);
});
