// SOCKS v4 and v5 as tshark reads them: the corpus's proxied HTTPS (valid/ja4/socks-https-example.pcap)
// agrees with tshark run in the test in the Protocol and Info columns — the handshake rows, and the
// tunnelled TLS pieces that keep SOCKS's "Version: N" — and in the socks.* fields; -Y socks finds the
// same frames; and handshakes cut short or made of garbage never throw.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { Builder, seg, A, P, S } from './helpers/tcp-scenarios';
import { Pipeline } from '../src/pipeline';
import { CapturedFrame } from '../src/capture/frame';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { infoColumn, protocolColumn } from '../src/output/summary';
import { allFields } from '../src/fields/registry';
import { formatField } from '../src/fields/format';
import '../src/packet-modules';

const corpus = corpusDir();
const FIELDS = ['frame.number', '_ws.col.Protocol', '_ws.col.Info', 'socks.version', 'socks.command', 'socks.results', 'socks.dstport', 'socks.dst', 'socks.remote_name', 'socks.address_type', 'socks.auth_method_count', 'socks.auth_accepted_method'];

test('SOCKS v4 and v5 on the corpus agree with tshark', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const file = path.join(corpus!, 'valid/ja4/socks-https-example.pcap');
  const args = ['-r', file, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])];
  const ours = execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' }).split('\n');
  const theirs = execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  const diffs: string[] = [];
  for (let i = 0; i < theirs.length; i++) if (ours[i] !== theirs[i]) diffs.push(`tcpwatch "${ours[i]}"\n  tshark "${theirs[i]}"`);
  assert.deepEqual(diffs, []);
  assert.ok(theirs.filter((l) => /\tSocks\tVersion: 5 Command Response - Connect/.test(l)).length >= 1);
  const sel = (tool: string[]) => execFileSync(tool[0], [...tool.slice(1), '-r', file, '-Y', 'socks.version == 5', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.equal(sel([process.execPath, CLI]), sel(['tshark', '-n']));
});

test('SOCKS handshakes cut short or made of garbage never throw', () => {
  const opts = { field: [], fieldOption: [], pref: [], promiscuous: false, ui: false } as unknown as MainOptions;
  const p = new Pipeline({ sink: null, analyzers: makeAnalyzers(opts, null) });
  const f = new CapturedFrame();
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  const fields = allFields().filter((x) => x.proto === 'socks');
  for (let c = 0; c < 300; c++) {
    const b = new Builder(false, 30000 + c, 1080);
    b.seg(seg(0.001, 'C', 0, 0, S, 65535, 0)).seg(seg(0.001, 'S', 0, 1, S | A, 65535, 0));
    let cs = 1, ss = 1;
    for (let k = 0; k < 4; k++) {
      const n = rnd() % 12;
      const data = Buffer.from(Array.from({ length: n }, () => (rnd() < 100 ? [4, 5, 0, 1, 3][rnd() % 5] : rnd())));
      if (n === 0) continue;
      const from = k % 2 === 0 ? 'C' : 'S';
      b.seg({ ...seg(0.001, from, from === 'C' ? cs : ss, from === 'C' ? ss : cs, P | A, 65535, n), data });
      if (from === 'C') cs += n; else ss += n;
    }
    for (const fr of b.frames) {
      p.handle(f.wrap(fr.bytes, 1));
      protocolColumn(p.d);
      infoColumn(p.d);
      for (const x of fields) for (let i = 0; i < x.count(p.d); i++) formatField(x, p.d, i);
    }
  }
});
