// The protocol tree against tshark 4.0's: for every capture of the corpus, tshark's PDML and
// tcpwatch's (-T pdml, made from the tree that also drives -V, -T json and the details pane) are
// read into the same shape — each protocol instance as the list of its visible nodes with their
// depth — and compared frame by frame. The share of frames whose subtree equals tshark's is
// reported per protocol; protocols whose trees tcpwatch builds in full must match on every frame,
// everywhere or on the captures named for them.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, listFiles, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';
import { readPdml, ProtoInstance } from './helpers/pdml';
import { inParallel, runCommand } from './helpers/parallel';
import { withConcatenated, Concatenated } from './helpers/concatenated';

/** Protocols whose subtree must equal tshark's on every frame that has them. */
const MUST_MATCH = new Set(['ip', 'ipv6', 'vxlan', 'geneve', 'arp', '_ws.malformed']);
/** Protocols whose subtree must equal tshark's on every frame of the captures under a folder. */
const MUST_MATCH_IN: Readonly<Record<string, string>> = { tcp: 'tls-keys', tls: 'tls-keys' };
/** Protocols whose subtree must equal tshark's on every frame that also has the protocol named: TLS in QUIC CRYPTO frames. */
const MUST_MATCH_OVER: Readonly<Record<string, string>> = { tls: 'quic' };
/** Reported with their share, not required yet. */
const REPORTED = ['frame', 'eth', 'udp', 'tcp', 'tls', 'icmp', 'icmpv6', 'http', 'dns', 'quic'];

const corpus = corpusDir();
/** Captures per concatenation: small enough that two groups' PDML (tshark's and tcpwatch's) fit in memory at once. */
const GROUP_SIZE = 30;
/** Corpus folders whose captures are read one at a time (see below). */
const READ_ALONE = ['valid/ja4', 'valid/local'];

async function pdml(cmd: string, args: string[]): Promise<ProtoInstance[][]> {
  const run = await runCommand(cmd, args);
  if (run.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${run.status} ${run.stderr}`);
  return readPdml(run.stdout);
}

test('the protocol tree has tshark\'s structure on the corpus', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false, timeout: 1_200_000 }, async (t) => {
  const files = [
    ...listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n)),
    ...listFiles(path.join(corpus!, 'tls-keys'), (n) => /\.pcap(ng)?$/.test(n)),
  ];
  assert.ok(files.length >= 200, `captures: ${files.length}`);
  const frames = new Map<string, number>(), matching = new Map<string, number>();
  // TLS per corpus folder: the TLS captures (tls-keys/) are expected to match in full before the rest.
  const tlsFolders = new Map<string, [number, number]>();
  const mismatches: string[] = [];
  const compare = (group: Concatenated, theirs: ProtoInstance[][], ours: ProtoInstance[][]): void => {
    assert.equal(ours.length, theirs.length, `frames of the group from ${group.where(1)}`);
    for (let f = 0; f < theirs.length; f++) {
      const file = group.fileAt(f + 1);
      const rel = path.relative(corpus!, file);
      for (const proto of new Set([...MUST_MATCH, ...REPORTED])) {
        const want = theirs[f].filter((p) => p.name === proto).map((p) => p.nodes.join(' '));
        if (want.length === 0) continue;
        const got = ours[f].filter((p) => p.name === proto).map((p) => p.nodes.join(' '));
        const same = JSON.stringify(got) === JSON.stringify(want);
        if (proto === 'tls') {
          const folder = path.relative(corpus!, path.dirname(file));
          const c = tlsFolders.get(folder) ?? [0, 0];
          c[1]++;
          if (same) c[0]++;
          tlsFolders.set(folder, c);
        }
        const over = MUST_MATCH_OVER[proto] !== undefined && theirs[f].some((p) => p.name === MUST_MATCH_OVER[proto]);
        const required = MUST_MATCH.has(proto) || over || (MUST_MATCH_IN[proto] !== undefined && rel.startsWith(MUST_MATCH_IN[proto] + path.sep));
        const key = over ? `${proto} over ${MUST_MATCH_OVER[proto]}` : MUST_MATCH_IN[proto] !== undefined && required ? `${proto} in ${MUST_MATCH_IN[proto]}` : proto;
        for (const k of key === proto ? [proto] : [proto, key]) frames.set(k, (frames.get(k) ?? 0) + 1);
        if (same) {
          for (const k of key === proto ? [proto] : [proto, key]) matching.set(k, (matching.get(k) ?? 0) + 1);
        } else if (required && mismatches.length < 10) {
          mismatches.push(`${path.dirname(rel)}/${group.where(f + 1)} ${proto}:\n  tshark   ${want.join(' | ')}\n  tcpwatch ${got.join(' | ')}`);
        }
      }
    }
  };
  // The captures in groups of GROUP_SIZE, each group concatenated into one file that tshark and
  // tcpwatch each read once (a start per capture was most of the time), two groups at a time. The
  // captures under READ_ALONE are read one by one: they hold the same TLS and QUIC connections as
  // each other (the same addresses, ports and connection IDs), and read after one another the later
  // copies are retransmissions to both readers, not TLS.
  const alone = files.filter((f) => READ_ALONE.some((dir) => path.relative(corpus!, f).startsWith(dir + path.sep)));
  const rest = files.filter((f) => !alone.includes(f));
  const groups: string[][] = alone.map((f) => [f]);
  for (let i = 0; i < rest.length; i += GROUP_SIZE) groups.push(rest.slice(i, i + GROUP_SIZE));
  const read = async (c: Concatenated): Promise<void> => {
    const [theirs, ours] = await Promise.all([pdml('tshark', ['-n', '-r', c.file, '-T', 'pdml']), pdml(process.execPath, [CLI, '-r', c.file, '-T', 'pdml'])]);
    compare(c, theirs, ours);
  };
  await inParallel(groups, (group) => group.length === 1
    ? read({ file: group[0], where: (n) => `${path.basename(group[0])}#${n}`, fileAt: () => group[0] })
    : withConcatenated(group, read), () => {});
  t.diagnostic(`frames whose subtree has tshark 4.0's nodes and nesting, over ${files.length} captures:`);
  const rows = [...MUST_MATCH, ...Object.entries(MUST_MATCH_IN).map(([p, dir]) => `${p} in ${dir}`), ...Object.entries(MUST_MATCH_OVER).map(([p, below]) => `${p} over ${below}`), ...REPORTED];
  for (const key of rows) {
    const n = frames.get(key) ?? 0, a = matching.get(key) ?? 0;
    const required = MUST_MATCH.has(key) || key.includes(' in ') || key.includes(' over ');
    t.diagnostic(`${required ? 'required' : 'reported'} ${key.padEnd(16)} ${a}/${n} ${n ? ((100 * a) / n).toFixed(2) : '-'}%`);
  }
  for (const [folder, [a, n]] of [...tlsFolders].sort()) t.diagnostic(`reported tls in ${folder.padEnd(28)} ${a}/${n} ${((100 * a) / n).toFixed(2)}%`);
  assert.deepEqual(mismatches, []);
  assert.ok((frames.get('tls over quic') ?? 0) >= 75, `frames with TLS over QUIC: ${frames.get('tls over quic') ?? 0}`);
});
