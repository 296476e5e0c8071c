// TCP analysis on a path that loses, reorders, duplicates and delays packets, as tshark 4.0 judges
// it: real transfers (curl from python3's http.server, iperf3 against an iperf3 server, and a bulk
// transfer to a reader that stalls until the window closes) run between two network namespaces joined by a seeded impairing relay
// (test/helpers/impaired-link.ts), captured by tcpdump at both ends; one more capture misses a
// seeded 3% of its frames. tshark and tcpwatch then read every capture, and every tcp.analysis.*
// field, the SACK fields and the Info column must agree on every frame, and the analysis filters
// must select the same frames.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { isRoot, have } from './helpers/system';
import { CLI } from './helpers/corpus';
import { forEachFrame } from './helpers/pipeline';
import { TcpAnalysisFlag as AF } from '../src/analysis/tcp-analysis';
import { LossyCapture, recordHttpDownload, recordStalledReader, recordIperf3, dropFrames } from './helpers/lossy-captures';
import { compareAnalysis, compareAnalysisTree, agreementTable, Agreement } from './helpers/tcp-agreement';

const IMPAIRMENT = { loss: 0.03, reorder: 0.05, dup: 0.01, delayMs: 5 };

test('TCP analysis through a lossy, reordering, duplicating link agrees with tshark 4.0 on every frame', { timeout: 120_000 }, async (t) => {
  assert.ok(isRoot, 'network namespaces and TAP devices need root');
  for (const cmd of ['tshark', 'tcpdump', 'curl', 'python3', 'iperf3', 'ip']) assert.ok(have(cmd), `${cmd} is installed (scripts/setup.sh)`);
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-lossy-'));
  // A disagreement keeps the captures: a fresh recording may not show it again.
  let keep = false;
  try {
    // `filters`: also compare what the analysis filters select, and the SEQ/ACK analysis subtree.
    const captures: { c: LossyCapture; filters: boolean }[] = [];
    const t0 = Date.now();
    for (const seed of [11, 12]) {
      const r = await recordHttpDownload({ ...IMPAIRMENT, seed }, dir, `http-${seed}`, 1_000_000);
      t.diagnostic(`seed ${seed} relay: ${JSON.stringify(r.relay?.stats)}`);
      assert.ok(r.relay && r.relay.stats.dropped > 0 && r.relay.stats.reordered > 0, 'the relay dropped and reordered frames');
      // Seed 11 is read at both ends; seed 12 at the server, whose capture then loses frames too.
      const kept = seed === 11 ? r.captures : r.captures.slice(1);
      captures.push(...kept.map((c, i) => ({ c, filters: seed === 11 && i === 0 })));
    }
    const z = await recordStalledReader({ ...IMPAIRMENT, seed: 13 }, dir, 'stall-13', 400_000, 800);
    t.diagnostic(`seed 13 relay: ${JSON.stringify(z.relay?.stats)}`);
    captures.push(...z.captures.map((c, i) => ({ c, filters: i === 0 })));
    // iperf3 as the peer: its control connection and a bulk data connection, read at both ends.
    const ip = await recordIperf3({ ...IMPAIRMENT, seed: 31 }, dir, 'iperf3-31', 1_000_000);
    t.diagnostic(`seed 31 relay: ${JSON.stringify(ip.relay?.stats)}`);
    captures.push(...ip.captures.map((c, i) => ({ c, filters: i === 0 })));
    const missed = join(dir, 'http-12-missed.pcap');
    const removed = dropFrames(captures[2].c.pcap, missed, 0.03, 7);
    assert.ok(removed > 0);
    captures.push({ c: { name: `http-12 (server side, ${removed} frames missed)`, pcap: missed }, filters: false });
    t.diagnostic(`recorded ${captures.length} captures in ${Date.now() - t0} ms`);

    const results: [string, Agreement, string][] = [];
    const treeDiffs: string[] = [];
    let sawZeroWindow = false, sawWindowFull = false, sawFast = false, sawRetrans = false;
    for (const { c, filters } of captures) {
      const a = compareAnalysis(c.pcap, { filters });
      for (const line of agreementTable(c.name, a).split('\n')) t.diagnostic(line);
      results.push([c.name, a, c.pcap]);
      if (filters) {
        const tree = compareAnalysisTree(c.pcap);
        t.diagnostic(`  SEQ/ACK analysis subtree (-T pdml)          ${tree.agree}/${tree.frames}`);
        if (tree.agree !== tree.frames) treeDiffs.push(`${c.name}: ${tree.diffs.join('\n')}`);
      }
      for (const f of a.filters) {
        if (f.filter === 'tcp.analysis.zero_window' && f.tshark > 0) sawZeroWindow = true;
        if (f.filter === 'tcp.analysis.window_full' && f.tshark > 0 && c.name.startsWith('stall')) sawWindowFull = true;
        if (f.filter === 'tcp.analysis.fast_retransmission' && f.tshark > 0) sawFast = true;
        if (f.filter === 'tcp.analysis.retransmission' && f.tshark > 0) sawRetrans = true;
      }
    }
    // The captures must show what they were made for, or agreeing proves little.
    assert.ok(sawRetrans && sawFast, 'tshark found retransmissions and fast retransmissions');
    assert.ok(sawZeroWindow, 'tshark found the stalled reader\'s zero window');
    assert.ok(sawWindowFull, 'tshark found the sender filling the stalled reader\'s window');
    // Linux probes a zero window with a segment one below what it has sent and no data, which tshark
    // calls a keep-alive (a one-byte probe, tshark's zero_window_probe, is what other stacks send).
    const stallClient = captures.find((x) => x.c.name.startsWith('stall-13 (client'))!.c.pcap;
    const probes = execFileSync('tshark', ['-r', stallClient, '-Y', 'tcp.analysis.keep_alive'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((l) => l.trim() !== '').length;
    assert.ok(probes > 0, 'tshark found the sender\'s probes of the zero window');
    const disagreements: string[] = [];
    for (const [name, a, pcap] of results) {
      assert.ok(a.frames > 200, `${name}: ${a.frames} frames`);
      for (const f of a.fields) if (f.agree !== a.frames) disagreements.push(`${name} ${f.name}: ${f.agree}/${a.frames}; ${f.diffs.join('; ')}${claimedBy(pcap, f.diffs)}`);
      for (const f of a.filters) if (f.diffs.length > 0) disagreements.push(`${name} -Y ${f.filter}: ${f.diffs.join('; ')}`);
    }
    if (disagreements.length > 0 || treeDiffs.length > 0) keep = true;
    assert.deepEqual(disagreements, []);
    assert.deepEqual(treeDiffs, []);

    // The explain ladder names what the analysis found, with the retransmission timeout.
    const stall = captures.find((x) => x.c.name.startsWith('stall-13 (client'))!.c.pcap;
    const expected = new Map<number, RegExp>();
    forEachFrame(stall, (d) => {
      if (d.tcp.stream !== 0 || d.payloadLen === 0) return;
      if (d.tcp.flags & AF.FastRetransmission) expected.set(d.number, /\(fast retransmission\)/);
      else if (d.tcp.flags & AF.SpuriousRetransmission) expected.set(d.number, /\(spurious retransmission\)/);
      else if (d.tcp.rtoFrame > 0) expected.set(d.number, new RegExp(`\\(retransmission\\).*the retransmission timeout: [0-9.]+ [µm]?s after frame ${d.tcp.rtoFrame}\\)`));
    });
    const ladder = execFileSync(process.execPath, [CLI, '-r', stall, '--explain', '0'], { encoding: 'utf8' });
    const lines = new Map<number, string>();
    for (const line of ladder.split('\n')) {
      const m = /^\s*(\d+)\s/.exec(line);
      if (m) lines.set(Number(m[1]), line);
    }
    const unexplained = [...expected].filter(([n, re]) => !re.test(lines.get(n) ?? '')).map(([n]) => `frame ${n}: ${lines.get(n) ?? '(no line)'}`);
    assert.ok(expected.size > 0);
    assert.deepEqual(unexplained, []);
  } finally {
    if (keep) t.diagnostic(`the captures are kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
});

/** What tshark's dissection of the first differing frame holds: names the dissector (a heuristic
 * one, say, reading iperf3's random payload) when tshark's columns differ from tcpwatch's. */
function claimedBy(pcap: string, diffs: string[]): string {
  const m = /^frame (\d+):/.exec(diffs[0] ?? '');
  if (!m) return '';
  const protocols = execFileSync('tshark', ['-r', pcap, '-Y', `frame.number == ${m[1]}`, '-T', 'fields', '-e', 'frame.protocols'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return `; tshark's frame.protocols of frame ${m[1]}: ${protocols}`;
}
