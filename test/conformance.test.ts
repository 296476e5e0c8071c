// Conformance with tshark: every capture of the corpus goes through `tcpwatch -T fields` with the
// columns of the expected tables that tshark 4.0 made, and every value is compared.
// Fields in MUST_AGREE have to agree on every packet; the others are reported as an agreement table.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { getField } from '../src/fields';
import { inParallel, runCli } from './helpers/parallel';

/** Fields whose agreement with tshark is required, per the issues that own them. */
export const MUST_AGREE = new Set([
  // foundation (issue 2)
  'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst',
  'ipv6.src', 'ipv6.dst', 'ip.proto', 'ipv6.nxt', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq_raw',
  'tcp.ack_raw', 'tcp.len', 'tcp.window_size_value', 'udp.srcport', 'udp.dstport',
  // TCP conversation analysis (issue 3)
  'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.nxtseq', 'tcp.flags.str', 'tcp.analysis.flags',
  // TLS records and handshake (issue 3); the handshake fields include QUIC Initial packets' Hellos
  'tls.record.content_type', 'tls.record.version', 'tls.record.length', 'tls.handshake.type', 'tls.handshake.version',
  'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.ciphersuite',
]);

/**
 * The Protocol and Info columns per corpus folder must each agree with tshark on at least this share
 * of frames (percent): floors at what tcpwatch reaches, so that a protocol that regresses fails here.
 * docs/PROTOCOLS.md has the table and what is left.
 */
export const COLUMN_FLOORS: Readonly<Record<string, number>> = {
  'tls-keys/illustrated-tls12': 100, 'tls-keys/illustrated-tls13': 100, 'tls-keys/snet': 100,
  'valid/ja4': 99.5, 'valid/local': 100, 'valid/tcpdump': 99, 'valid/tcpdump-protocols': 99.5, all: 99.8,
};
const COLUMNS = ['_ws.col.Protocol', '_ws.col.Info'];

interface Table {
  header: string[];
  rows: string[][];
}

function parseTsv(text: string): Table {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = (lines.shift() ?? '').split('\t');
  return { header, rows: lines.map((l) => l.split('\t')) };
}

const corpus = corpusDir();

test('tcpwatch -T fields agrees with tshark on the corpus', { skip: corpus === null ? NO_CORPUS_REASON : false }, async (t) => {
  const expectedRoot = path.join(corpus!, 'expected');
  const expectedFiles = listFiles(expectedRoot, (n) => n.endsWith('.tsv') && !n.endsWith('.decrypted.tsv'));
  assert.ok(expectedFiles.length >= 50, `expected tables found: ${expectedFiles.length}`);
  const agree = new Map<string, number>();
  const total = new Map<string, number>();
  const mismatches: string[] = [];
  const perFile: string[] = [];
  const unregistered = new Set<string>();
  // folder → [frames, Protocol agreeing, Info agreeing]
  const columns = new Map<string, number[]>();
  interface Job { rel: string; folder: string; want: Table; known: boolean[]; args: string[] }
  const jobs: Job[] = expectedFiles.map((exp) => {
    const rel = path.relative(expectedRoot, exp).replace(/\.tsv$/, '');
    const folder = rel.split('/').slice(0, 2).join('/');
    const capture = path.join(corpus!, rel);
    const want = parseTsv(fs.readFileSync(exp, 'utf8'));
    const args = ['-r', capture, '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t', '-E', 'occurrence=f'];
    // Columns whose field tcpwatch does not register yet are reported as such, not compared.
    const known = want.header.map((f) => getField(f) !== undefined);
    for (let c = 0; c < want.header.length; c++) {
      if (known[c]) args.push('-e', want.header[c]);
      else unregistered.add(want.header[c]);
    }
    return { rel, folder, want, known, args };
  });
  await inParallel(jobs, (job) => runCli(job.args), ({ rel, folder, want, known }, run) => {
    assert.equal(run.status, 0, `${rel}: ${run.stderr}`);
    const raw = parseTsv(run.stdout);
    const got: Table = { header: want.header, rows: raw.rows.map((row) => { let k = 0; return want.header.map((_f, c) => (known[c] ? row[k++] ?? '' : '\u0000')); }) };
    assert.equal(got.rows.length, want.rows.length, `${rel}: number of frames`);
    let fileBad = 0;
    const cols = COLUMNS.map((c) => want.header.indexOf(c));
    for (const key of [folder, 'all']) {
      const acc = columns.get(key) ?? [0, 0, 0];
      for (let r = 0; r < want.rows.length; r++) {
        acc[0]++;
        for (let k = 0; k < cols.length; k++) if (cols[k] >= 0 && known[cols[k]] && want.rows[r][cols[k]] === got.rows[r][cols[k]]) acc[1 + k]++;
      }
      columns.set(key, acc);
    }
    for (let r = 0; r < want.rows.length; r++) {
      for (let c = 0; c < want.header.length; c++) {
        const name = want.header[c];
        if (!known[c]) continue;
        const w = want.rows[r][c] ?? '', g = got.rows[r][c] ?? '';
        total.set(name, (total.get(name) ?? 0) + 1);
        if (w === g) agree.set(name, (agree.get(name) ?? 0) + 1);
        else {
          if (MUST_AGREE.has(name)) { fileBad++; if (mismatches.length < 40) mismatches.push(`${rel} frame ${r + 1} ${name}: tshark "${w}", tcpwatch "${g}"`); }
        }
      }
    }
    perFile.push(`${fileBad === 0 ? 'ok  ' : 'FAIL'} ${rel} (${want.rows.length} frames)`);
  });
  t.diagnostic(`agreement with tshark 4.0 over ${expectedFiles.length} captures (field: agreeing/total)`);
  for (const [name, n] of total) {
    const a = agree.get(name) ?? 0;
    t.diagnostic(`${MUST_AGREE.has(name) ? 'required' : 'reported'} ${name.padEnd(40)} ${a}/${n} ${(100 * a / n).toFixed(2)}%`);
  }
  for (const name of unregistered) t.diagnostic(`not registered yet: ${name}`);
  for (const line of perFile) t.diagnostic(line);
  const below: string[] = [];
  for (const [key, [n, proto, info]] of [...columns].sort()) {
    const p = (100 * proto) / n, i = (100 * info) / n;
    t.diagnostic(`columns ${key.padEnd(28)} ${String(n).padStart(5)} frames  Protocol ${p.toFixed(2)}%  Info ${i.toFixed(2)}%`);
    const floor = COLUMN_FLOORS[key];
    if (floor === undefined) below.push(`${key}: no floor set`);
    else if (Math.min(p, i) < floor) below.push(`${key}: Protocol ${p.toFixed(2)}%, Info ${i.toFixed(2)}% (floor ${floor}%)`);
  }
  assert.deepEqual(mismatches, [], 'required fields disagree with tshark');
  assert.deepEqual(below, [], 'Protocol/Info agreement per corpus folder fell below its floor');
});
