// The TLS subtree of the details tree: every node covers the bytes tshark 4.0's does (so selecting
// a record or its Content Type highlights exactly those bytes), nodes nest inside their parent's
// bytes, and damaged handshake bytes never make the layout throw or step outside the frame. The
// node names and nesting over the whole corpus are checked by tree-conformance.test.ts.
//
// npm test may run this file beside another: it captures nothing live, and its one time bound (10 s for a hostile record) is generous.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';
import { forEachFrame } from './helpers/pipeline';
import { protocolTree, TreeNode } from '../src/fields/tree';
import { Tag, Tlv, integerValue, oidText } from '../src/tls/der';
import { readPdml } from './helpers/pdml';

const corpus = corpusDir();

/** Per frame, the visible nodes under each `tls` protocol as `name pos size`, in document order. */
function tlsNodes(xml: string): string[][] {
  const frames: string[][] = [];
  let cur: string[] = [];
  const stack: { tls: boolean; hidden: boolean }[] = [];
  const tag = /<(\/?)(packet|proto|field)\b([^>]*?)(\/?)>/g;
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    const [, closing, kind, attrs, self] = m;
    if (kind === 'packet') {
      if (closing) frames.push(cur);
      else cur = [];
      continue;
    }
    if (closing) { stack.pop(); continue; }
    const attr = (a: string): string => new RegExp(`\\b${a}="([^"]*)"`).exec(attrs)?.[1] ?? '';
    const top = stack[stack.length - 1];
    const hidden = attr('hide') === 'yes' || (top?.hidden ?? false);
    const inTls = kind === 'proto' ? attr('name') === 'tls' : top?.tls ?? false;
    if (kind === 'field' && inTls && !hidden) cur.push(`${attr('name')} ${attr('pos')} ${attr('size')}`);
    if (self === '') stack.push({ tls: inTls, hidden });
  }
  return frames;
}

const CAPTURES = ['tls-keys/illustrated-tls12/capture.pcap', 'tls-keys/illustrated-tls13/capture.pcap', 'tls-keys/snet/tls_DHE-RSA-AES128-SHA256.pcap', 'tls-keys/snet/tls_ECDHE-ECDSA-AES128-GCM-SHA256.pcap'];

test('each TLS node covers the bytes tshark\'s covers', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false }, () => {
  let compared = 0, records = 0, contentTypes = 0, certificateParts = 0;
  for (const rel of CAPTURES) {
    const file = path.join(corpus!, rel);
    const theirs = tlsNodes(execFileSync('tshark', ['-n', '-r', file, '-T', 'pdml'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }));
    const ours = tlsNodes(execFileSync(process.execPath, [CLI, '-r', file, '-T', 'pdml'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    assert.equal(ours.length, theirs.length, `${rel}: frames`);
    for (let f = 0; f < theirs.length; f++) {
      assert.equal(ours[f].length, theirs[f].length, `${rel} frame ${f + 1}: TLS nodes\n  tshark   ${theirs[f].join(' | ')}\n  tcpwatch ${ours[f].join(' | ')}`);
      for (let k = 0; k < theirs[f].length; k++) {
        // A node of a record completed from earlier segments lies outside the frame: no bytes to show.
        if (ours[f][k].endsWith(' 0 0') && theirs[f][k].split(' ')[2] !== '0') continue;
        assert.equal(ours[f][k], theirs[f][k], `${rel} frame ${f + 1} node ${k}`);
        compared++;
        if (ours[f][k].startsWith('tls.record ')) records++;
        if (ours[f][k].startsWith('tls.record.content_type ')) { contentTypes++; assert.ok(ours[f][k].endsWith(' 1')); }
        if (ours[f][k].startsWith('x509')) certificateParts++;
      }
    }
  }
  assert.ok(compared > 1000 && records > 30 && contentTypes > 30 && certificateParts > 50, `compared ${compared} nodes, ${records} records, ${certificateParts} certificate parts`);
});

test('with a key log, decrypted handshake messages stand in the tree as tshark shows them', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false }, () => {
  let frames = 0, messages = 0;
  for (const dir of ['tls-keys/illustrated-tls13', 'tls-keys/illustrated-tls12']) {
    const args = ['-r', path.join(corpus!, dir, 'capture.pcap'), '-o', `tls.keylog_file:${path.join(corpus!, dir, 'keylog.txt')}`, '-T', 'pdml'];
    const theirs = readPdml(execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }));
    const ours = readPdml(execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    for (let f = 0; f < theirs.length; f++) {
      const want = theirs[f].filter((p) => p.name === 'tls').map((p) => p.nodes);
      if (want.length === 0) continue;
      // tls.decryption is tcpwatch's own note on each protected record; tshark has none.
      const got = ours[f].filter((p) => p.name === 'tls').map((p) => p.nodes.filter((n) => !/^\d+:tls\.decryption$/.test(n)));
      assert.deepEqual(got, want, `${dir} frame ${f + 1}`);
      frames++;
      messages += want.flat().filter((n) => n === '1:tls.handshake').length;
    }
  }
  assert.ok(frames >= 12 && messages >= 15, `${frames} frames, ${messages} handshake messages`);
});

/** xorshift32: the same damage on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function walk(nodes: TreeNode[], visit: (n: TreeNode, parent: TreeNode | null) => void, parent: TreeNode | null = null): void {
  for (const n of nodes) {
    visit(n, parent);
    walk(n.children, visit, n);
  }
}

test('damaged handshake bytes: the TLS subtree stays inside the frame and inside each parent', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const next = rng(0x7157);
  let trees = 0, tlsNodesSeen = 0;
  const started = Date.now();
  for (const rel of CAPTURES) {
    forEachFrame(path.join(corpus!, rel), (d) => {
      if (d.tls.recordCount === 0) return;
      const check = (): void => {
        const tree = protocolTree(d);
        trees++;
        walk(tree, (n, parent) => {
          if (!n.name.startsWith('tls') && !n.name.startsWith('x509') && !n.name.startsWith('pkcs1') && !n.name.startsWith('_text.tls')) return;
          tlsNodesSeen++;
          if (n.off < 0) return;
          assert.ok(n.off >= d.frameOff && n.off + n.len <= d.frameEnd, `${n.name} ${n.off}+${n.len} outside the frame`);
          if (parent !== null && parent.off >= 0 && parent.name !== 'tls') {
            assert.ok(n.off >= parent.off && n.off + n.len <= parent.off + parent.len, `${n.name} outside ${parent.name}`);
          }
        });
      };
      check();
      // Overwrite bytes of the frame's records (lengths, tags, counts inside messages) and lay out again.
      const from = d.payloadOff, to = d.frameEnd;
      if (to - from < 8) return;
      const saved = Buffer.from(d.buf.subarray(from, to));
      for (let round = 0; round < 12; round++) {
        for (let k = 0; k < 6; k++) d.buf[from + (next() % (to - from))] = next() & 0xff;
        d.number += 1_000_000; // a new frame for the layout's cache
        check();
      }
      saved.copy(d.buf, from);
    });
  }
  assert.ok(trees > 300 && tlsNodesSeen > 5_000, `${trees} trees, ${tlsNodesSeen} TLS nodes`);
  assert.ok(Date.now() - started < 10_000, 'bounded in time');
});

test('the DER reader keeps every element inside its container', () => {
  const t = new Tlv();
  // SEQUENCE of 3 bytes holding an INTEGER 5
  assert.ok(t.read(Buffer.from('3003020105', 'hex'), 0, 5));
  assert.deepEqual([t.tag, t.body, t.len, t.end], [Tag.Sequence, 2, 3, 5]);
  assert.equal(t.read(Buffer.from('3005020105', 'hex'), 0, 5), false, 'length past the end');
  assert.equal(t.read(Buffer.from('3003020105', 'hex'), 0, 4), false, 'length past the container');
  assert.equal(t.read(Buffer.from('3080020105', 'hex'), 0, 5), false, 'indefinite length');
  assert.equal(t.read(Buffer.from('3085000000000102', 'hex'), 0, 8), false, 'five length bytes');
  assert.equal(t.read(Buffer.from('1f2001', 'hex'), 0, 3), false, 'multi-byte tag');
  assert.ok(t.read(Buffer.from('0482010000', 'hex').subarray(0, 5), 0, 5) === false, 'long form past the end');
  const long = Buffer.concat([Buffer.from('048200ff', 'hex'), Buffer.alloc(255, 1)]);
  assert.ok(t.read(long, 0, long.length));
  assert.deepEqual([t.body, t.len], [4, 255]);
  assert.equal(oidText(Buffer.from('2a864886f70d01010b', 'hex'), 0, 9), '1.2.840.113549.1.1.11');
  assert.equal(oidText(Buffer.from('550403', 'hex'), 0, 3), '2.5.4.3');
  assert.equal(oidText(Buffer.from('2a86', 'hex'), 0, 2), '', 'unfinished arc');
  assert.equal(integerValue(Buffer.from('010001', 'hex'), 0, 3), 65537);
  assert.ok(Number.isNaN(integerValue(Buffer.alloc(9, 0xff), 0, 9)));
});
