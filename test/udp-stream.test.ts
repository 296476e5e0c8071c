// UDP conversations against tshark: on every corpus capture that carries UDP, udp.stream and the
// per-conversation times agree with tshark run in the test, frame by frame.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusDir, listFiles, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';

const corpus = corpusDir();
const FIELDS = ['frame.number', 'udp.stream', 'udp.time_relative', 'udp.time_delta', 'udp.checksum.status'];
/**
 * Datagrams behind an IPv6 routing header: tshark 4.0 numbers their conversation but shows no times
 * for it, and names the routing header's last address as the destination. tcpwatch shows the times.
 */
const ROUTING_HEADER_FRAMES = new Set(['valid/tcpdump/ipv6-routing-header.pcap 3', 'valid/tcpdump/ipv6-routing-header.pcap 4']);

test('udp.stream and its times agree with tshark on every corpus capture with UDP', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false }, () => {
  const expectedRoot = path.join(corpus!, 'expected');
  const withUdp = listFiles(expectedRoot, (n) => n.endsWith('.tsv') && !n.endsWith('.decrypted.tsv')).filter((exp) => {
    const rows = fs.readFileSync(exp, 'utf8').split('\n');
    const col = rows[0].split('\t').indexOf('udp.srcport');
    return rows.slice(1).some((r) => (r.split('\t')[col] ?? '') !== '');
  });
  assert.ok(withUdp.length >= 20, `captures with UDP: ${withUdp.length}`);
  const diffs: string[] = [];
  let frames = 0;
  for (const exp of withUdp) {
    const file = path.join(corpus!, path.relative(expectedRoot, exp).replace(/\.tsv$/, ''));
    const args = ['-r', file, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])];
    const ours = execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n');
    const theirs = execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
    for (let i = 0; i < theirs.length; i++) {
      if (theirs[i].split('\t')[1]) frames++;
      const rel = path.relative(corpus!, file);
      if (ROUTING_HEADER_FRAMES.has(`${rel} ${i + 1}`)) {
        assert.equal(ours[i].split('\t')[1], theirs[i].split('\t')[1], `${rel} frame ${i + 1}: the stream number still agrees`);
        continue;
      }
      if (ours[i] !== theirs[i] && diffs.length < 20) diffs.push(`${path.relative(corpus!, file)}: tcpwatch "${ours[i]}", tshark "${theirs[i]}"`);
    }
  }
  assert.ok(frames >= 1000, `UDP frames compared: ${frames}`);
  assert.deepEqual(diffs, []);
});
