// The UI's I/O graph counts (src/store/io-graph.ts: the store's packets replayed through the
// pipeline into -z io,stat's IoStatistics, one column per line) against tshark 4.0's
// `-q -z io,stat,INTERVAL,FILTER…` on corpus captures: for every interval tshark prints, every
// line's frames and bytes, at several of the graph's interval choices and with several display
// filters at once (the first, empty, counts every packet, as the graph's first line does without a
// display filter).
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import '../src/app/features';
import { PacketStore } from '../src/store/packet-store';
import { IoGraphRun, IO_GRAPH_INTERVALS } from '../src/store/io-graph';
import { compileFilter } from '../src/filter';
import { MainOptions } from '../src/hooks';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';
import { tsharkIoStat } from './helpers/io-stat';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'tshark is not installed' : false;
const OPTS: MainOptions = { promiscuous: true, field: [], fieldOption: [], pref: [], ui: true };

function loaded(store: PacketStore): Promise<void> {
  return new Promise((resolve) => {
    if (!store.loading) return resolve();
    store.onChange(() => { if (!store.loading) resolve(); });
  });
}

const CASES: { file: string; intervals: string[]; filters: string[] }[] = [
  { file: 'valid/ja4/latest.pcapng', intervals: ['10 ms', '1 s'], filters: ['', 'tcp', 'tls.handshake', 'udp || dns', 'tcp.len > 0'] },
  { file: 'valid/ja4/tls-handshake.pcapng', intervals: ['100 ms', '10 s'], filters: ['', 'tcp.flags.syn == 1', 'tls'] },
  { file: 'valid/ja4/browsers-x509.pcapng', intervals: ['1 s', '10 s', '1 min'], filters: ['', 'ip.src == 192.168.1.168', 'frame.len > 1000'] },
  { file: 'valid/local/multi-interface.pcapng', intervals: ['1 ms'], filters: ['', 'frame.interface_id == 1', 'tcp'] },
];

test('I/O graph counts equal tshark -z io,stat per interval and filter', { skip }, async () => {
  let intervalsChecked = 0;
  for (const c of CASES) {
    const file = path.join(corpus!, c.file);
    const store = PacketStore.openFile(file, OPTS, false);
    await loaded(store);
    try {
      for (const name of c.intervals) {
        const iv = IO_GRAPH_INTERVALS.find((x) => x.name === name)!;
        const lines = c.filters.map((f) => ({ expression: f, filter: f === '' ? null : compileFilter(f) }));
        const run = new IoGraphRun(store, iv.us, iv.precision, lines);
        while (!run.done) run.step(performance.now() + 1000);
        assert.equal(run.scanned, store.count);
        const tshark = tsharkIoStat(file, (iv.us / 1e6).toFixed(iv.precision), c.filters);
        assert.equal(run.io.intervals, tshark.length, `${c.file} at ${name}: intervals`);
        tshark.forEach((row, k) => {
          for (let j = 0; j < c.filters.length; j++) {
            const cell = run.io.columns[j].cells.get(k);
            assert.deepEqual([cell?.frames ?? 0, cell?.bytes ?? 0], [row.frames[j], row.bytes[j]], `${c.file} at ${name}, interval ${k}, line "${c.filters[j]}"`);
          }
        });
        intervalsChecked += tshark.length;
      }
    } finally {
      store.close();
    }
  }
  assert.ok(intervalsChecked > 500, `intervals checked: ${intervalsChecked}`);
});
