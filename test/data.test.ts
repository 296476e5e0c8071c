// Wireshark's data protocol: the payload no dissector claims. On the concatenated valid corpus,
// tcpwatch's frame.protocols, data.data and data.len and the "Data (N bytes)" node of -V are compared
// with tshark 4.0 run on the same file in the same test.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { withConcatenated } from './helpers/concatenated';
import { runCli, runCommand } from './helpers/parallel';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : false;

/**
 * Floors from measuring: frame.protocols agreed on 2899 of the 3184 frames before tcpwatch listed
 * data (then missing on 189 frames), on 3083 after, on 3089 once it listed data-text-lines after
 * HTTP, on 3109 with RIPng, NBSS, AJP13's framing on port 8009 and HTML form bodies, and on 3139 with
 * QUIC's CRYPTO data handed to TLS as tshark hands it. The frames
 * where only tcpwatch lists data are payloads tshark gives to protocols tcpwatch does not dissect
 * (NetBIOS datagrams, TLS inside an ICMP error's quote) and one TCP Fast Open SYN whose data tshark
 * keeps as segment data.
 */
const PROTOCOLS_AGREE_AT_LEAST = 3139;
const ONLY_TCPWATCH_DATA_AT_MOST = 7;

const hasData = (chain: string): boolean => /:data(:|$)/.test(chain);

test('frame.protocols lists data where tshark does, and data.data / data.len agree on every frame that has it', { skip }, async () => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n));
  await withConcatenated(files, async ({ file, where }) => {
    const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.protocols', '-e', 'data.data', '-e', 'data.len', '-e', 'data'];
    const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
    assert.equal(ours.status, 0, ours.stderr);
    const o = ours.stdout.split('\n').map((l) => l.split('\t')), w = theirs.stdout.split('\n').map((l) => l.split('\t'));
    assert.equal(o.length, w.length);
    let agree = 0, withData = 0, onlyOurs = 0;
    const missing: string[] = [], values: string[] = [];
    for (let i = 0; i < w.length - 1; i++) {
      if (o[i][0] === w[i][0]) agree++;
      const a = hasData(w[i][0]), b = hasData(o[i][0]);
      if (a) withData++;
      if (a && !b) missing.push(`${where(i + 1)}: tshark ${w[i][0]}, tcpwatch ${o[i][0]}`);
      if (b && !a) onlyOurs++;
      if (a && b && o[i].slice(1).join('\t') !== w[i].slice(1).join('\t')) {
        values.push(`${where(i + 1)}: tshark ${w[i].slice(1).join(' ').slice(0, 80)}, tcpwatch ${o[i].slice(1).join(' ').slice(0, 80)}`);
      }
    }
    assert.ok(withData >= 190, `frames tshark lists data in: ${withData}`);
    assert.deepEqual(missing, [], 'frames where tshark lists data and tcpwatch does not');
    assert.deepEqual(values, [], 'data.data, data.len or data differ');
    assert.ok(onlyOurs <= ONLY_TCPWATCH_DATA_AT_MOST, `frames where only tcpwatch lists data: ${onlyOurs}`);
    assert.ok(agree >= PROTOCOLS_AGREE_AT_LEAST, `frame.protocols agrees on ${agree} of ${w.length - 1} frames`);
  });
});

/** The lines of -V output from each "Data (" node through its [Length: N], with what precedes them in the frame's tree cut off. */
function dataBlocks(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*Data \(\d+ bytes?\)$/.test(lines[i])) continue;
    let j = i;
    while (j < lines.length && !/^\s*\[Length: \d+\]$/.test(lines[j])) j++;
    out.push(lines.slice(i, j + 1).join('\n'));
  }
  return out;
}

test('-V shows the data node as tshark does: heading, hex dump, bytes and length (UDP, TCP, ICMP, ICMPv6, tunnelled, loopback, TFTP)', { skip }, async () => {
  const cases: [string, string][] = [
    ['valid/ja4/latest.pcapng', 'udp && data'],
    ['valid/tcpdump/mptcp-v1.pcap', 'tcp && data'],
    ['valid/tcpdump/gso-ipv4.pcap', 'tcp && data'],
    ['valid/ja4/gre-sample.pcap', 'icmp && data'],
    ['valid/ja4/v6.pcap', 'icmpv6 && data'],
    ['valid/ja4/tcpdump-geneve.pcap', 'geneve && data'],
    ['valid/tcpdump/loopback.pcap', 'loop && data'],
    ['valid/tcpdump/tftp.pcap', 'tftp && data'],
  ];
  let blocks = 0;
  for (const [rel, filter] of cases) {
    // The frames tshark shows data in, by number: tcpwatch also lists data where tshark dissects
    // protocols tcpwatch does not (the first test counts those).
    const capture = path.join(corpus!, rel);
    const numbers = (await runCommand('tshark', ['-n', '-r', capture, '-Y', filter, '-T', 'fields', '-e', 'frame.number'])).stdout.trim().split('\n').slice(0, 50);
    const args = ['-r', capture, '-Y', numbers.map((n) => `frame.number == ${n}`).join(' || '), '-V'];
    const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
    assert.equal(ours.status, 0, ours.stderr);
    const want = dataBlocks(theirs.stdout), got = dataBlocks(ours.stdout);
    assert.ok(want.length > 0, `${rel}: tshark shows data (${filter})`);
    assert.deepEqual(got, want, `${rel}: ${filter}`);
    blocks += want.length;
  }
  assert.ok(blocks >= 5, `data nodes compared: ${blocks}`);
});
