// tshark's two passes (-2) and read filter (-R) against tshark 4.0 itself, on captures of the
// corpus: what only the second pass knows (tcp.reassembled_in, naming the later frame that
// completes a PDU), and how the frames a read filter keeps are numbered and named by every field
// that points at another frame.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : have('tshark') ? false : 'needs tshark';
const file = (rel: string): string => path.join(corpus ?? '', rel);

function tshark(args: string[]): string {
  return execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
}
function tcpwatch(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

// Every capture of the corpus on which tshark -2 names a frame in tcp.reassembled_in, but
// valid/ja4/v6.pcap, whose one such PDU is SSH version 1, which tcpwatch does not reassemble.
const REASSEMBLING = [
  'valid/ja4/http1-with-cookies.pcapng', 'valid/ja4/badcurveball.pcap', 'valid/ja4/latest.pcapng', 'valid/ja4/browsers-x509.pcapng',
  'valid/ja4/ipv6.pcapng', 'valid/ja4/tls3.pcapng', 'valid/ja4/tls-alpn-h2.pcap', 'valid/ja4/https-connect.pcap',
  'valid/ja4/socks-https-example.pcap', 'valid/ja4/tls-handshake.pcapng', 'valid/ja4/macos_tcp_flags.pcap', 'tls-keys/snet/tls1.3_curl_google.pcap',
];

/** Where the field is compared in every view: over HTTP, TLS, SOCKS, HTTP CONNECT, IPv6 and PDUs that end where the next starts. */
const IN_EVERY_VIEW = new Set(['valid/ja4/http1-with-cookies.pcapng', 'valid/ja4/latest.pcapng', 'valid/ja4/ipv6.pcapng', 'valid/ja4/https-connect.pcap', 'valid/ja4/socks-https-example.pcap', 'valid/ja4/macos_tcp_flags.pcap']);

/**
 * Each "[Reassembled PDU in frame: N]" line of -V with its frame and the line it follows: TCP's
 * payload. The segment data lines are passed over: where a segment completes one PDU and starts
 * another, tshark shows the two pieces apart and tcpwatch as one, with one pass as with two.
 */
function reassembledInLines(verbose: string): string[] {
  const out: string[] = [];
  let frame = '', before = '';
  for (const line of verbose.split('\n')) {
    if (line.startsWith('Frame ')) frame = line.slice(0, line.indexOf(':'));
    if (line.startsWith('    [Reassembled PDU in frame: ')) out.push(`${frame} | ${before} | ${line}`);
    if (!line.startsWith('    TCP segment data')) before = line;
  }
  return out;
}

test('-2 gives each frame that carries a piece of a PDU completed later tcp.reassembled_in, as tshark\'s second pass: in -T fields, -V, JSON, ek, PDML and -Y; one pass never does', { skip }, () => {
  let frames = 0, named = 0;
  for (const f of REASSEMBLING) {
    const fields = ['-r', file(f), '-2', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.reassembled_in'];
    const ours = tcpwatch(fields);
    assert.equal(ours, tshark(fields), `${f}: -2 -e tcp.reassembled_in`);
    frames += ours.split('\n').length - 1;
    named += ours.split('\n').filter((l) => /\t\d/.test(l)).length;
    // The frame that completes the PDU lists itself among its segments; it names no frame.
    for (const line of ours.split('\n').filter((l) => /\t\d/.test(l))) assert.notEqual(line.split('\t')[0], line.split('\t')[1], `${f}: ${line}`);
    // One pass cannot know a later frame.
    assert.doesNotMatch(tcpwatch(['-r', file(f), '-T', 'fields', '-e', 'tcp.reassembled_in']), /\d/, `${f}: one pass`);
    const filtered = ['-r', file(f), '-2', '-Y', 'tcp.reassembled_in'];
    assert.equal(tcpwatch([...filtered, '-T', 'fields', '-e', 'frame.number']), tshark([...filtered, '-T', 'fields', '-e', 'frame.number']), `${f}: -Y tcp.reassembled_in`);
    if (!IN_EVERY_VIEW.has(f)) continue;
    assert.deepEqual(reassembledInLines(tcpwatch([...filtered, '-V'])), reassembledInLines(tshark([...filtered, '-V'])), `${f}: -V`);
    for (const format of ['json', 'ek', 'pdml']) {
      const lines = (s: string): string[] => s.split('\n').filter((l) => l.includes('tcp.reassembled_in'));
      const pick = format === 'ek' ? (s: string): string[] => s.match(/"tcp_reassembled_in":"?\d+"?/g) ?? [] : lines;
      assert.deepEqual(pick(tcpwatch([...filtered, '-T', format])), pick(tshark([...filtered, '-T', format])), `${f}: -T ${format}`);
    }
  }
  assert.ok(frames > 2000 && named > 200, `frames ${frames}, naming a later frame ${named}`);
});

// The fields that name another frame, earlier (a request, the segment acknowledged, the segments of
// a PDU) or later (-2's forward references), with the times that count from another frame.
const FRAME_FIELDS = [
  'frame.number', 'http.request_in', 'http.prev_request_in', 'http.prev_response_in', 'http.response_in', 'dns.response_to', 'dns.response_in',
  'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.rto_frame', 'tcp.analysis.duplicate_ack_frame', 'tcp.segment', 'tcp.reassembled_in',
  'frame.time_delta', 'frame.time_delta_displayed', 'frame.time_relative',
].flatMap((e) => ['-e', e]);

test('-2 -R names frames as tshark does: each frame of the first pass numbered after the frames kept before it, so a reference to a dropped frame names the next kept one, and a kept frame reads the acknowledgement filed under its number', { skip }, () => {
  const captures = ['valid/ja4/http1-with-cookies.pcapng', 'valid/tcpdump/dns_tcp.pcap', 'valid/ja4/latest.pcapng', 'valid/ja4/CVE-2018-6794.pcap', 'valid/ja4/tls3.pcapng', 'valid/tcpdump-protocols/edns-opts.pcap'];
  const filters = ['http', 'tcp.len > 0', 'dns', 'tcp.flags.push == 1', 'tcp.analysis.retransmission || http', 'frame.number != 7'];
  let runs = 0, frames = 0;
  const outputs = new Map<string, string>();
  for (const f of captures) {
    for (const readFilter of filters) {
      const args = ['-r', file(f), '-2', '-R', readFilter, '-T', 'fields', ...FRAME_FIELDS];
      const ours = tcpwatch(args);
      assert.equal(ours, tshark(args), `${f}: -2 -R ${readFilter}`);
      outputs.set(`${f} ${readFilter}`, ours);
      runs++;
      frames += ours.split('\n').length - 1;
    }
  }
  assert.ok(frames > 700, `frames compared: ${frames} in ${runs} runs`);
  // The request in frame 5 is kept as 1 and its response (9) as 2: the response's segments, 7 (dropped) and 9, both read 2.
  assert.match(outputs.get('valid/ja4/http1-with-cookies.pcapng http')!, /^2\t1\t(\t[^\t]*){8}\t2,2\t/m);
  // The read filter sees the first pass's numbers: past the dropped frame 7, every frame is numbered 7 and dropped.
  assert.equal(outputs.get('valid/ja4/http1-with-cookies.pcapng frame.number != 7')!.split('\n').length - 1, 6);
  // What is shown in full agrees too: the HTTP of a renumbered frame is there.
  const verbose = ['-r', file('valid/ja4/http1-with-cookies.pcapng'), '-2', '-R', 'http', '-V'];
  const theirs = tshark(verbose), ours = tcpwatch(verbose);
  for (const line of ['    [Response in frame: 2]', '    [Request in frame: 1]', '    [Time delta from previous captured frame: 0.001343000 seconds]', '[2 Reassembled TCP Segments (1270 bytes): #2(156), #2(1114)]']) {
    assert.ok(theirs.includes(line + '\n'), `tshark: ${line}`);
    assert.ok(ours.includes(line + '\n'), `tcpwatch: ${line}`);
  }
});
