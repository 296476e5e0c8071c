// The TCP stream graph (P) in a real terminal (tmux), on a transfer the test records through a
// lossy link (test/helpers/impaired-link.ts: 3% loss, 5% reordering, 1% duplication, 5 ms): curl
// downloads from python3's http.server between two namespaces, tcpdump captures the client side.
// tshark 4.0 reads the same capture and says what the graph must show: the time axis from the
// stream's first to its last packet, the sequence axis from the direction's lowest to its highest
// sequence number, a retransmission mark in exactly the cells where tshark's
// tcp.analysis.retransmission segments fall, and SACK blocks where the client sent them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, have } from './helpers/system';
import { recordHttpDownload } from './helpers/lossy-captures';
import { Tmux, haveTmux, plain, sgrAtColumn } from './helpers/tmux';

const IMPAIRMENT = { loss: 0.03, reorder: 0.05, dup: 0.01, delayMs: 5 };
const HTTP_PORT = 8000;
/** The theme's 256-colour foregrounds of the graph's layers (src/ui/theme.ts, graphAttrs). */
const RETRANSMISSION_FG = '38;5;196', SACK_FG = '38;5;213', DATA_FG = '38;5;117', ACK_FG = '38;5;114';

interface Seg { frame: number; t: number; seq: number; end: number; fromServer: boolean; retrans: boolean; sack: boolean }

function tsharkSegments(pcap: string): Seg[] {
  const out = execFileSync('tshark', ['-r', pcap, '-Y', 'tcp.stream == 0', '-T', 'fields', '-E', 'occurrence=f',
    '-e', 'frame.number', '-e', 'frame.time_relative', '-e', 'tcp.srcport', '-e', 'tcp.seq', '-e', 'tcp.len',
    '-e', 'tcp.flags.syn', '-e', 'tcp.flags.fin', '-e', 'tcp.analysis.retransmission', '-e', 'tcp.options.sack_le'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const [frame, t, sport, seq, len, syn, fin, re, sack] = l.split('\t');
    const flag = (v: string): number => (v === '1' || v === 'True' ? 1 : 0);
    const s = Number(seq);
    return { frame: Number(frame), t: Number(t), seq: s, end: s + Number(len) + flag(syn) + flag(fin), fromServer: Number(sport) === HTTP_PORT, retrans: re !== '', sack: sack !== '' };
  });
}

/** What the graph shows: where its plot is, its axis labels, and each plot cell's attributes. */
function readGraph(escaped: string): { top: number; left: number; rows: number; cols: number; seqTop: string; seqBottom: string; t0: string; t1: string; cell: (r: number, c: number) => string; char: (r: number, c: number) => string } {
  const lines = escaped.split('\n');
  const text = lines.map(plain);
  const axisRow = text.findIndex((l) => /^\s*└─+$/.test(l.trimEnd()));
  assert.ok(axisRow > 0, `the time axis on screen:\n${text.join('\n')}`);
  const left = text[axisRow].indexOf('└') + 1;
  let top = axisRow - 1;
  while (top > 0 && /[│┤]/.test(text[top - 1][left - 1] ?? '')) top--;
  const labels = /^\s*(\d+\.\d{6}) s\s.*\s(\d+\.\d{6}) s\s*$/.exec(text[axisRow + 1]);
  assert.ok(labels, `time labels: ${text[axisRow + 1]}`);
  return {
    top, left, rows: axisRow - top, cols: text[axisRow].trimEnd().length - left,
    seqTop: text[top].slice(0, left - 1).trim(), seqBottom: text[axisRow - 1].slice(0, left - 1).trim(),
    t0: labels[1], t1: labels[2],
    cell: (r, c) => sgrAtColumn(lines[top + r], left + c),
    char: (r, c) => text[top + r][left + c] ?? ' ',
  };
}

test('stream graph on a lossy transfer: axes as the stream\'s first and last time and sequence number, retransmissions marked where tshark says', { timeout: 90_000 }, async (t) => {
  assert.ok(isRoot, 'network namespaces and TAP devices need root');
  for (const cmd of ['tshark', 'tcpdump', 'curl', 'python3', 'ip']) assert.ok(have(cmd), `${cmd} is installed (scripts/setup.sh)`);
  assert.ok(haveTmux(), 'tmux is installed');
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-graph-'));
  try {
    const r = await recordHttpDownload({ ...IMPAIRMENT, seed: 21 }, dir, 'graph-21', 400_000);
    t.diagnostic(`relay: ${JSON.stringify(r.relay?.stats)}`);
    const pcap = r.captures[0].pcap;
    const segs = tsharkSegments(pcap);
    const data = segs.filter((s) => s.fromServer);
    const retrans = data.filter((s) => s.retrans);
    // The capture must hold what the graph is to show, or agreeing proves little.
    assert.ok(retrans.length >= 3, `tshark found ${retrans.length} retransmissions`);
    assert.ok(segs.some((s) => !s.fromServer && s.sack), 'the client sent SACK blocks');
    const t0 = Math.min(...segs.map((s) => s.t)), t1 = Math.max(...segs.map((s) => s.t));
    const seq0 = Math.min(...data.map((s) => s.seq)), seq1 = Math.max(...data.map((s) => s.end));

    const tm = Tmux.start(['-r', pcap], {}, 160, 50);
    try {
      await tm.waitForText(`shown ${segs.length} / ${segs.length}`);
      // A data packet of the download: the graph draws its direction.
      tm.keys(':');
      await tm.waitForText('Go to packet:');
      tm.keys(...String(data.find((s) => s.end - s.seq > 1)!.frame).split(''), 'Enter');
      // P opens the graph (T is the time format's key, m in the packet list marks).
      tm.keys('P');
      const shown = await tm.waitFor((x) => /TCP stream graph \(tcptrace\), stream 0/.test(x) && /└─/.test(x), 'the stream graph', 15000, true);
      const title = plain(shown.split('\n')[0]);
      assert.match(title, new RegExp(`stream 0: 10\\.77\\.\\d+\\.2:${HTTP_PORT} → 10\\.77\\.\\d+\\.1:\\d+`));
      assert.match(title, new RegExp(` in ${data.length} segments, ${retrans.length} retransmitted`));
      const g = readGraph(shown);
      assert.equal(g.t0, t0.toFixed(6), 'the time axis starts at the stream\'s first packet');
      assert.equal(g.t1, t1.toFixed(6), 'and ends at its last');
      assert.equal(Number(g.seqBottom), seq0, 'the sequence axis starts at the direction\'s lowest sequence number');
      assert.equal(Number(g.seqTop), seq1, 'and ends at its highest');
      assert.ok(g.cols > 100 && g.rows > 30, `plot of ${g.cols}×${g.rows} cells`);

      // Where tshark's retransmissions fall on this plot: the cells each one's stroke covers.
      const W = g.cols * 2, H = g.rows * 4;
      const col = (time: number): number => Math.round(((time - t0) / (t1 - t0)) * (W - 1)) >> 1;
      const row = (seq: number): number => Math.round(H - 1 - ((seq - seq0) / (seq1 - seq0)) * (H - 1));
      const expected = new Set<string>();
      for (const s of retrans) {
        const c = col(s.t);
        const a = Math.max(0, Math.min(row(s.seq), row(s.end))), b = Math.min(H - 1, Math.max(row(s.seq), row(s.end)));
        for (let y = a; y <= b; y++) expected.add(`${y >> 2},${c}`);
      }
      const marked = new Set<string>();
      let sackCells = 0, dataCells = 0, ackCells = 0;
      for (let r0 = 0; r0 < g.rows; r0++) {
        for (let c = 0; c < g.cols; c++) {
          // A blank cell has no colour of its own (the terminal may carry the last one over spaces).
          if (g.char(r0, c) === ' ') continue;
          const a = g.cell(r0, c);
          if (a.includes(RETRANSMISSION_FG)) {
            marked.add(`${r0},${c}`);
            assert.match(g.char(r0, c), /[\u2801-\u28ff]/, 'a mark is braille dots');
          }
          if (a.includes(SACK_FG)) sackCells++;
          if (a.includes(DATA_FG)) dataCells++;
          if (a.includes(ACK_FG)) ackCells++;
        }
      }
      const missing = [...expected].filter((k) => !marked.has(k));
      const extra = [...marked].filter((k) => !expected.has(k));
      t.diagnostic(`${retrans.length} retransmissions → ${expected.size} cells; marked ${marked.size}; data ${dataCells}, ACK ${ackCells}, SACK ${sackCells} cells`);
      assert.deepEqual(missing, [], 'every retransmission tshark found is marked');
      assert.deepEqual(extra, [], 'nothing else is marked as one');
      assert.ok(dataCells > 20 && ackCells > 20 && sackCells > 0, 'data segments, the ACK line and SACK blocks are drawn');

      // m: the other direction, the client's few bytes (the request) under the server's ACKs.
      tm.keys('m');
      const other = await tm.waitFor((x) => new RegExp(`stream 0: 10\\.77\\.\\d+\\.1:\\d+ → 10\\.77\\.\\d+\\.2:${HTTP_PORT}`).test(x) && /└─/.test(x), 'the other direction', 15000);
      const client = segs.filter((s) => !s.fromServer);
      assert.match(other.split('\n')[0], new RegExp(` in ${client.length} segments, ${client.filter((s) => s.retrans).length} retransmitted`));
      tm.keys('q');
      await tm.waitForText('Display filter:');
      // Back in the packet list, m marks the packet (it meant the other direction only in the graph).
      tm.keys('m');
      await tm.waitForText('marked 1');
    } finally {
      tm.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
