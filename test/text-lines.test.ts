// Line-based text data (data-text-lines): the bodies of text media types, one item per line. On the
// concatenated valid corpus, the frames tshark 4.0 lists data-text-lines in are compared with
// tcpwatch's, by frame.protocols, -T fields and their "Line-based text data" subtree in -V; so is the lab
// capture's HTML page, which travels in TLS (its keys are inside the pcapng).
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, listFiles, NO_CORPUS_REASON, REPO_ROOT } from './helpers/corpus';
import { withConcatenated } from './helpers/concatenated';
import { runCli, runCommand } from './helpers/parallel';
import { isTextLinesBody, lineText } from '../src/protocols/text-lines';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : false;

/** Each "Line-based text data" subtree of -V output: its heading and the lines indented under it. */
function textBlocks(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)Line-based text data: /.exec(lines[i]);
    if (m === null) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].startsWith(m[1] + '    ')) j++;
    out.push(lines.slice(i, j).join('\n'));
  }
  return out;
}

test('frame.protocols lists data-text-lines where tshark does, and -V shows the same lines', { skip }, async () => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n));
  await withConcatenated(files, async ({ file, where }) => {
    const args = ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.protocols', '-e', 'data-text-lines'];
    const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
    assert.equal(ours.status, 0, ours.stderr);
    // frame number → its protocols and the protocol's heading, as -T fields prints them
    const pick = (out: string): Map<string, string> => new Map(out.split('\n').filter((l) => l.includes(':data-text-lines')).map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]));
    const want = pick(theirs.stdout), got = pick(ours.stdout);
    assert.ok(want.size >= 6, `frames tshark lists data-text-lines in: ${want.size}`);
    const differ: string[] = [];
    for (const [n, chain] of want) if (got.get(n) !== chain) differ.push(`${where(Number(n))}: tshark ${chain}, tcpwatch ${got.get(n) ?? '(none)'}`);
    for (const [n, chain] of got) if (!want.has(n)) differ.push(`${where(Number(n))}: only tcpwatch ${chain}`);
    assert.deepEqual(differ, []);
    const shown = ['-r', file, '-V', '-Y', [...want.keys()].map((n) => `frame.number == ${n}`).join(' || ')];
    const [v, w] = await Promise.all([runCli(shown), runCommand('tshark', ['-n', ...shown])]);
    assert.equal(v.status, 0, v.stderr);
    const blocks = textBlocks(w.stdout);
    assert.equal(blocks.length, want.size);
    assert.deepEqual(textBlocks(v.stdout), blocks);
  });
});

test('the lab page decrypted from TLS is shown line by line as tshark shows it', async () => {
  const args = ['-r', path.join(REPO_ROOT, 'samples', 'lab.pcapng'), '-V', '-Y', 'data-text-lines'];
  const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
  assert.equal(ours.status, 0, ours.stderr);
  const want = textBlocks(theirs.stdout);
  assert.ok(want.length >= 1, 'tshark shows the page');
  assert.deepEqual(textBlocks(ours.stdout), want);
});

test('bodies that are XML or of other media types are not text lines; lines escape as format_text does', () => {
  const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<a/>\n');
  assert.equal(isTextLinesBody(xml, 0, xml.length, 'text/plain'), false);
  // 38 bytes or fewer are never XML (packet-text-media.c)
  const short = Buffer.from('<?xml version="1.0"?><a/>\n');
  assert.equal(isTextLinesBody(short, 0, short.length, 'text/plain'), true);
  assert.equal(isTextLinesBody(short, 0, short.length, 'application/json'), false);
  assert.equal(isTextLinesBody(short, 0, 0, 'text/plain'), false);
  const line = Buffer.from('a\tb\x01\u00e9\r\n');
  assert.equal(lineText(line, 0, line.length), 'a\\tb\\001\u00e9\\r\\n');
});
