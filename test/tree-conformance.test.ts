// The protocol tree against tshark 4.0's: for every capture of the corpus, tshark's PDML and
// tcpwatch's (-T pdml, made from the tree that also drives -V, -T json and the details pane) are
// read into the same shape — each protocol instance as the list of its visible nodes with their
// depth — and compared frame by frame. The share of frames whose subtree equals tshark's is
// reported per protocol; protocols whose trees tcpwatch builds in full must match on every frame.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { corpusDir, listFiles, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';
import { readPdml } from './helpers/pdml';

/** Protocols whose subtree must equal tshark's on every frame that has them. */
const MUST_MATCH = new Set(['ip', 'vxlan', 'geneve', 'arp']);
/** Reported with their share, not required yet. */
const REPORTED = ['eth', 'ipv6', 'udp', 'tcp', 'tls', 'icmp', 'icmpv6', 'http', 'dns'];

const corpus = corpusDir();

test('the protocol tree has tshark\'s structure on the corpus', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false, timeout: 600_000 }, (t) => {
  const files = [
    ...listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n)),
    ...listFiles(path.join(corpus!, 'tls-keys'), (n) => /\.pcap(ng)?$/.test(n)),
  ];
  assert.ok(files.length >= 200, `captures: ${files.length}`);
  const frames = new Map<string, number>(), matching = new Map<string, number>();
  // TLS per corpus folder: the TLS captures (tls-keys/) are expected to match in full before the rest.
  const tlsFolders = new Map<string, [number, number]>();
  const mismatches: string[] = [];
  for (const file of files) {
    const theirs = readPdml(execFileSync('tshark', ['-n', '-r', file, '-T', 'pdml'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }));
    const ours = readPdml(execFileSync(process.execPath, [CLI, '-r', file, '-T', 'pdml'], { encoding: 'utf8', maxBuffer: 1 << 30 }));
    assert.equal(ours.length, theirs.length, `${file}: frames`);
    for (let f = 0; f < theirs.length; f++) {
      for (const proto of new Set([...MUST_MATCH, ...REPORTED])) {
        const want = theirs[f].filter((p) => p.name === proto).map((p) => p.nodes.join(' '));
        if (want.length === 0) continue;
        const got = ours[f].filter((p) => p.name === proto).map((p) => p.nodes.join(' '));
        frames.set(proto, (frames.get(proto) ?? 0) + 1);
        const same = JSON.stringify(got) === JSON.stringify(want);
        if (proto === 'tls') {
          const folder = path.relative(corpus!, path.dirname(file));
          const c = tlsFolders.get(folder) ?? [0, 0];
          c[1]++;
          if (same) c[0]++;
          tlsFolders.set(folder, c);
        }
        if (same) matching.set(proto, (matching.get(proto) ?? 0) + 1);
        else if (MUST_MATCH.has(proto) && mismatches.length < 10) {
          mismatches.push(`${path.relative(corpus!, file)} frame ${f + 1} ${proto}:\n  tshark   ${want.join(' | ')}\n  tcpwatch ${got.join(' | ')}`);
        }
      }
    }
  }
  t.diagnostic(`frames whose subtree has tshark 4.0's nodes and nesting, over ${files.length} captures:`);
  for (const proto of [...MUST_MATCH, ...REPORTED]) {
    const n = frames.get(proto) ?? 0, a = matching.get(proto) ?? 0;
    t.diagnostic(`${MUST_MATCH.has(proto) ? 'required' : 'reported'} ${proto.padEnd(8)} ${a}/${n} ${n ? ((100 * a) / n).toFixed(2) : '-'}%`);
  }
  for (const [folder, [a, n]] of [...tlsFolders].sort()) t.diagnostic(`reported tls in ${folder.padEnd(28)} ${a}/${n} ${((100 * a) / n).toFixed(2)}%`);
  assert.deepEqual(mismatches, []);
});
