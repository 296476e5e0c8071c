// frame.protocols against tshark on the whole valid corpus, read as one concatenated capture: the
// share of frames whose chain agrees must not fall below the floor, and the layers tcpwatch reads as
// tshark does (IPv6 extension headers, the raw IP link types, TLS in QUIC CRYPTO frames: one `tls`
// per piece of CRYPTO data handed on) must agree on every frame that has them.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { validCorpusProtocols } from './helpers/concatenated';
import { runCli, runCommand } from './helpers/parallel';

const corpus = corpusDir();
/** Frames of the valid corpus whose frame.protocols equals tshark's, at least. */
const AGREEING_FLOOR = 3139;

test('frame.protocols agrees with tshark on the valid corpus, IPv6 extension headers, raw IP and QUIC on every frame', { skip: corpus === null ? NO_CORPUS_REASON : false }, async (t) => {
  await validCorpusProtocols(corpus!, (o, w, where) => {
    assert.equal(o.length, w.length);
    let agree = 0, layered = 0, quic = 0;
    const wrong: string[] = [];
    for (let i = 0; i < w.length; i++) {
      if (o[i] === w[i]) agree++;
      if (/:ipv6\.|^raw:|:quic/.test(w[i])) {
        layered++;
        if (w[i].includes(':quic')) quic++;
        if (o[i] !== w[i]) wrong.push(`${where(i + 1)}: tshark ${w[i]}, tcpwatch ${o[i]}`);
      }
    }
    t.diagnostic(`frame.protocols agreeing with tshark: ${agree}/${w.length}`);
    assert.deepEqual(wrong, []);
    assert.ok(layered - quic >= 14, `frames with IPv6 extension headers or raw IP: ${layered - quic}`);
    assert.ok(quic >= 300, `frames with QUIC: ${quic}`);
    assert.ok(agree >= AGREEING_FLOOR, `frame.protocols agreeing: ${agree}, floor ${AGREEING_FLOOR}`);
  });
});

test('an IPv6 jumbogram (payload length 0, Jumbo Payload option, RFC 2675) reads as tshark reads it: what it carries, not malformed', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const fields = ['frame.protocols', 'ipv6.plen', 'ipv6.hopopts.nxt', 'ipv6.hopopts.len_oct', 'tcp.len', 'tcp.srcport', '_ws.malformed'];
  for (const name of ['bigtcp-ipv6-hbh.pcap', 'ipv6_jumbogram_1.pcap']) {
    const args = ['-r', path.join(corpus!, 'valid/tcpdump', name), '-Y', 'ipv6.hopopts', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
    const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
    const w = theirs.stdout.trimEnd().split('\n');
    assert.ok(w.length >= 1 && w[0] !== '', `${name}: frames with a hop-by-hop header`);
    assert.deepEqual(ours.stdout.trimEnd().split('\n'), w, name);
  }
});

/** The top-level block of -V text that starts with `heading` (its line and every indented line under it). */
function detailsBlock(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(heading));
  if (at < 0) return [];
  let end = at + 1;
  while (end < lines.length && lines[end].startsWith(' ')) end++;
  return lines.slice(at, end);
}

test('an IPv6 payload length of 0 without a hop-by-hop header, and the malformed frames, read in -V as tshark shows them', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  // bigtcp-ipv6.pcap frame 1: payload length 0 (a capture before TCP segmentation offload), which
  // tshark notes under the length and which leaves TCP without bytes; dhcp-rfc4388.pcap frames 43
  // and 44: DHCP options that run past the datagram. Each ends with tshark's [Malformed Packet: …] node.
  const cases: [string, string, string[]][] = [
    ['valid/tcpdump/bigtcp-ipv6.pcap', 'frame.number == 1', ['Internet Protocol Version 6', '[Malformed Packet: TCP]']],
    ['valid/tcpdump-protocols/dhcp-rfc4388.pcap', 'frame.number == 43', ['[Malformed Packet: DHCP/BOOTP]']],
    ['valid/tcpdump-protocols/dhcp-rfc4388.pcap', 'frame.number == 44', ['[Malformed Packet: DHCP/BOOTP]']],
  ];
  await Promise.all(cases.map(async ([file, filter, headings]) => {
    const args = ['-r', path.join(corpus!, file), '-V', '-Y', filter];
    const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
    for (const heading of headings) {
      const want = detailsBlock(theirs.stdout, heading);
      assert.ok(want.length > 1, `${file} ${filter}: tshark shows ${heading}`);
      assert.deepEqual(detailsBlock(ours.stdout, heading), want, `${file} ${filter}: ${heading}`);
    }
    if (file.includes('bigtcp')) assert.ok(ours.stdout.includes('IPv6 payload length equals 0'), 'the note under Payload Length');
  }));
});
