// Fingerprints on real captures: JA4 (and its _r, _o, _ro renderings) against the JA4 project's own
// expected values for its test captures, and JA3/JA3S against what tshark computes for every Client
// and Server Hello of the corpus.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { getField } from '../src/fields';
import { forEachFrame, occurrences } from './helpers/pipeline';
import { have } from './helpers/system';

const corpus = corpusDir();
const haveTshark = have('tshark');

/** Every occurrence of `fields` for every frame of a capture, dissected in-process. */
function fieldsOf(file: string, fields: string[]): { stream: number; values: string[][] }[] {
  const defs = fields.map((f) => getField(f)!);
  const out: { stream: number; values: string[][] }[] = [];
  forEachFrame(file, (d) => out.push({ stream: d.tcp.stream, values: defs.map((f) => occurrences(f, d)) }));
  return out;
}

test('JA4 agrees with the JA4 project\'s expected values for its captures', { skip: corpus === null ? NO_CORPUS_REASON : false }, (t) => {
  const expectedDir = path.join(corpus!, 'ja4-expected');
  const keys = ['JA4', 'JA4_r', 'JA4_o', 'JA4_ro'];
  const fields = ['tls.handshake.ja4', 'tls.handshake.ja4_r', 'tls.handshake.ja4_o', 'tls.handshake.ja4_ro'];
  let compared = 0;
  const wrong: string[] = [];
  for (const jf of listFiles(expectedDir, (n) => n.endsWith('.json'))) {
    const capture = path.join(corpus!, 'valid', 'ja4', path.basename(jf, '.json'));
    const expected = JSON.parse(fs.readFileSync(jf, 'utf8')) as Record<string, string | number>[];
    // Client Hellos of each TCP stream, in order
    const hellos = new Map<number, string[][]>();
    for (const row of fieldsOf(capture, fields)) {
      const list = hellos.get(row.stream) ?? [];
      // one frame may carry more than one Client Hello
      for (let k = 0; k < row.values[0].length; k++) list.push(row.values.map((v) => v[k]));
      hellos.set(row.stream, list);
    }
    for (const entry of expected) {
      for (const [key, value] of Object.entries(entry)) {
        const m = /^(JA4(?:_r|_o|_ro)?)\.(\d+)$/.exec(key);
        if (m === null || typeof value !== 'string') continue;
        const col = keys.indexOf(m[1]);
        const got = hellos.get(entry.stream as number)?.[Number(m[2]) - 1]?.[col];
        compared++;
        if (got !== value) wrong.push(`${path.basename(capture)} stream ${entry.stream} ${key}: want ${value}, got ${got}`);
      }
    }
  }
  t.diagnostic(`JA4 values compared: ${compared}, wrong: ${wrong.length}`);
  assert.ok(compared >= 600, `compared ${compared}`);
  assert.deepEqual(wrong, []);
});

test('JA3 and JA3S agree with tshark on the Client and Server Hellos of the JA4 captures and a sample of the key-log captures', {
  skip: corpus === null ? NO_CORPUS_REASON : !haveTshark ? 'tshark not installed' : false,
}, (t) => {
  const fields = ['tls.handshake.ja3_full', 'tls.handshake.ja3', 'tls.handshake.ja3s_full', 'tls.handshake.ja3s'];
  // tshark takes about half a second per file: the JA4 project's captures (but the 1 MB one, mostly
  // QUIC) and a sample of the key-log captures (SSL 3.0 to TLS 1.3, RSA/ECDHE/PSK suites).
  const files = [...listFiles(path.join(corpus!, 'valid', 'ja4'), (n) => /\.pcap(ng)?$/.test(n) && n !== 'tls3.pcapng'),
    ...listFiles(path.join(corpus!, 'tls-keys'), (n) => /\.pcap(ng)?$/.test(n)).filter((_f, i) => i % 16 === 0)];
  let hellos = 0;
  const wrong: string[] = [];
  for (const file of files) {
    const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])];
    const tshark = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout.split('\n');
    const ours = fieldsOf(file, fields);
    for (let i = 0; i < ours.length; i++) {
      // QUIC Initial packets' Hellos are included: both read them.
      const w = tshark[i] ?? '', g = ours[i].values.map((v) => v.join(',')).join('\t');
      if (w.replace(/\t/g, '') === '' && g.replace(/\t/g, '') === '') continue;
      hellos++;
      if (w !== g) wrong.push(`${path.basename(file)} frame ${i + 1}: tshark ${w} / tcpwatch ${g}`);
    }
  }
  t.diagnostic(`frames with a Client or Server Hello compared: ${hellos}`);
  assert.ok(hellos >= 100, `hellos ${hellos}`);
  assert.deepEqual(wrong.slice(0, 10), []);
});
