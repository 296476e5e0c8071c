// Multipath TCP (RFC 8684) as tshark names it: a segment carrying the MPTCP option reads MPTCP in
// the Protocol column unless a protocol above it names the frame, `-Y mptcp` finds it, and its
// subtype is tcp.options.mptcp.subtype, frame.protocols lists each option as `mptcp` — checked against tshark run on the corpus's MPTCP captures.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { validCorpusProtocols } from './helpers/concatenated';

const corpus = corpusDir();
const FILES = ['valid/tcpdump/mptcp-aa-v1.pcap', 'valid/tcpdump/mptcp-fclose.pcap', 'valid/tcpdump/mptcp-tcprst.pcap', 'valid/tcpdump/mptcp-v1.pcap', 'valid/tcpdump-protocols/mptcp-v0.pcap'];

function run(tool: 'ours' | 'tshark', file: string, args: string[]): string {
  if (tool === 'ours') return execFileSync(process.execPath, [CLI, '-r', file, ...args], { encoding: 'utf8' });
  return execFileSync('tshark', ['-n', '-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

test('MPTCP segments are named, found and typed as tshark does', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  let named = 0;
  for (const rel of FILES) {
    const file = path.join(corpus!, rel);
    const fields = ['-T', 'fields', '-e', 'frame.number', '-e', 'tcp.options.mptcp.subtype'];
    assert.equal(run('ours', file, ['-Y', 'mptcp', ...fields]), run('tshark', file, ['-Y', 'mptcp', ...fields]), `${rel}: -Y mptcp`);
    const ours = run('ours', file, ['-T', 'fields', '-e', '_ws.col.Protocol']).split('\n');
    const theirs = run('tshark', file, ['-T', 'fields', '-e', '_ws.col.Protocol']).split('\n');
    for (let i = 0; i < theirs.length; i++) {
      if (theirs[i] !== 'MPTCP') continue;
      named++;
      assert.equal(ours[i], 'MPTCP', `${rel} frame ${i + 1}`);
    }
  }
  assert.ok(named >= 100, `frames tshark names MPTCP: ${named}`);
});

test('frame.protocols lists mptcp once per MPTCP option after tcp, as tshark does, on every frame of the corpus', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  await validCorpusProtocols(corpus!, (o, w, where) => {
    assert.equal(o.length, w.length);
    // The chain up to and with its mptcp entries: what follows them is the payload's protocols.
    const mptcpPart = (chain: string): string => /:tcp(?::mptcp)*/.exec(chain)?.[0] ?? '';
    let withMptcp = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i].includes(':mptcp')) withMptcp++;
      if (w[i].includes(':mptcp') || o[i].includes(':mptcp')) assert.equal(mptcpPart(o[i]), mptcpPart(w[i]), where(i + 1));
    }
    assert.ok(withMptcp >= 300, `frames with MPTCP options: ${withMptcp}`);
  });
});
