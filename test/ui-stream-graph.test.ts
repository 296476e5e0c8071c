// The TCP stream graph (P) in a real terminal (tmux), on a transfer the test records through a
// lossy link (test/helpers/impaired-link.ts: 3% loss, 5% reordering, 1% duplication, 5 ms): curl
// downloads from python3's http.server between two namespaces, tcpdump captures the client side.
// tshark 4.0 reads the same capture and says what the graph must show: the time axis from the
// stream's first to its last packet, the sequence axis from the direction's lowest to its highest
// sequence number, a retransmission mark in exactly the cells where tshark's
// tcp.analysis.retransmission segments fall, and SACK blocks where the client sent them. Tab then
// shows the other graphs of the same direction, each checked against tshark: throughput (its
// interval's io,stat SUM(tcp.len) sums over the interval: the highest as the axis top, every
// interval's step at its rate), round-trip time (tcp.analysis.ack_rtt of the client's ACKs: count,
// lowest and highest as the axis, each at its acks_frame's time) and window scaling (the client's
// tcp.window_size and the server's tcp.analysis.bytes_in_flight: ranges, axis, every value drawn).

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
const RETRANSMISSION_FG = '38;5;196', SACK_FG = '38;5;213', DATA_FG = '38;5;117', ACK_FG = '38;5;114', WINDOW_FG = '38;5;179';

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

/** Per packet of stream 0, what the other graphs plot (tshark's fields; empty where tshark shows none). */
interface Analysed { frame: number; t: number; fromServer: boolean; ackRtt: string; acksFrame: number; window: number; bytesInFlight: string }

function tsharkAnalysis(pcap: string): Analysed[] {
  const out = execFileSync('tshark', ['-r', pcap, '-Y', 'tcp.stream == 0', '-T', 'fields', '-E', 'occurrence=f',
    '-e', 'frame.number', '-e', 'frame.time_relative', '-e', 'tcp.srcport', '-e', 'tcp.analysis.ack_rtt', '-e', 'tcp.analysis.acks_frame',
    '-e', 'tcp.window_size', '-e', 'tcp.analysis.bytes_in_flight'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const [frame, t, sport, ackRtt, acksFrame, window, bif] = l.split('\t');
    return { frame: Number(frame), t: Number(t), fromServer: Number(sport) === HTTP_PORT, ackRtt, acksFrame: Number(acksFrame), window: Number(window), bytesInFlight: bif };
  });
}

/**
 * tshark's io,stat of the server's payload bytes: each interval's start (seconds) and SUM(tcp.len).
 * tshark 4.0 sums a field only when the filter names it too (else every sum is 0), hence `tcp.len &&`.
 */
function tsharkThroughput(pcap: string, interval: string): { start: number; bytes: number }[] {
  const out = execFileSync('tshark', ['-r', pcap, '-q', '-z', `io,stat,${interval},SUM(tcp.len)tcp.len && tcp.stream==0 && tcp.srcport==${HTTP_PORT}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  const rows: { start: number; bytes: number }[] = [];
  for (const m of out.matchAll(/^\|\s*([\d.]+)\s*<>\s*(?:[\d.]+|Dur)\s*\|\s*(\d+)\s*\|/gm)) rows.push({ start: Number(m[1]), bytes: Number(m[2]) });
  assert.ok(rows.length > 0, `io,stat rows:\n${out}`);
  return rows;
}

const minOf = (v: number[]): number => v.reduce((a, b) => Math.min(a, b), Infinity);
const maxOf = (v: number[]): number => v.reduce((a, b) => Math.max(a, b), -Infinity);

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

test('stream graph on a lossy transfer: axes as the stream\'s first and last time and sequence number, retransmissions marked where tshark says; throughput, RTT and window graphs as tshark computes them', { timeout: 90_000 }, async (t) => {
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

      // Tab: throughput, tcp.len per interval as tshark's io,stat sums it, divided by the interval.
      const cellOf = (gr: ReturnType<typeof readGraph>, time: number, v: number, lo: number, hi: number): [number, number] => {
        const W2 = gr.cols * 2, H2 = gr.rows * 4;
        const x = Math.round(((time - t0) / (t1 - t0)) * (W2 - 1)), y = Math.round(H2 - 1 - (hi > lo ? ((v - lo) / (hi - lo)) * (H2 - 1) : 0));
        return [y >> 2, x >> 1];
      };
      const drawnIn = (gr: ReturnType<typeof readGraph>, [r0, c]: [number, number], fg: string): boolean => gr.char(r0, c) !== ' ' && gr.cell(r0, c).includes(fg);
      tm.keys('Tab');
      const tpScreen = await tm.waitFor((x) => /Throughput, stream 0/.test(x) && /└─/.test(x), 'the throughput graph', 15000, true);
      const tpTitle = plain(tpScreen.split('\n')[0]);
      const iv = /tcp\.len per interval ([\d.]+) s: max (\d+) B\/s/.exec(tpTitle);
      assert.ok(iv, `throughput title: ${tpTitle}`);
      const interval = iv[1], perSecond = Math.round(1 / Number(interval));
      const bins = tsharkThroughput(pcap, interval);
      const maxRate = maxOf(bins.map((b) => b.bytes)) * perSecond;
      assert.equal(Number(iv[2]), maxRate, 'the highest throughput is tshark\'s largest io,stat sum over the interval');
      const tp = readGraph(tpScreen);
      assert.equal(tp.t0, t0.toFixed(6));
      assert.equal(tp.t1, t1.toFixed(6));
      assert.equal(Number(tp.seqTop), maxRate, 'the throughput axis ends at the highest rate');
      assert.equal(Number(tp.seqBottom), 0, 'and starts at 0');
      // Each interval of the stream's time range is a step at its rate (the cell at the visible part's middle).
      let steps = 0;
      for (const b of bins) {
        const a = Math.max(b.start, t0), e = Math.min(b.start + Number(interval), t1);
        if (e < a) continue;
        steps++;
        const cell = cellOf(tp, (a + e) / 2, b.bytes * perSecond, 0, maxRate);
        assert.ok(drawnIn(tp, cell, DATA_FG), `the interval from ${b.start} s (${b.bytes} bytes) is drawn at row ${cell[0]}, column ${cell[1]}`);
      }
      assert.ok(steps >= 20, `${steps} intervals over the stream`);

      // Tab: round-trip time, tshark's ack_rtt of the client's ACKs at the acknowledged segment's time.
      const analysed = tsharkAnalysis(pcap);
      const timeOf = new Map(analysed.map((p) => [p.frame, p.t]));
      const rtts = analysed.filter((p) => !p.fromServer && p.ackRtt !== '');
      assert.ok(rtts.length >= 10, `tshark found ${rtts.length} ACKs with an RTT`);
      const rttValues = rtts.map((p) => Number(p.ackRtt));
      tm.keys('Tab');
      const rttScreen = await tm.waitFor((x) => /Round-trip time, stream 0/.test(x) && /└─/.test(x), 'the RTT graph', 15000, true);
      const rttTitle = plain(rttScreen.split('\n')[0]);
      const rttMin = minOf(rttValues).toFixed(6), rttMax = maxOf(rttValues).toFixed(6);
      assert.ok(rttTitle.includes(`ack_rtt of ${rtts.length} ACKs: ${rttMin}–${rttMax} s`), `RTT title: ${rttTitle}`);
      const rg = readGraph(rttScreen);
      assert.equal(rg.seqTop, rttMax, 'the RTT axis ends at tshark\'s highest ack_rtt');
      assert.equal(rg.seqBottom, rttMin, 'and starts at its lowest');
      for (const p of rtts) {
        const at = timeOf.get(p.acksFrame);
        assert.ok(at !== undefined, `frame ${p.acksFrame} is in the stream`);
        const cell = cellOf(rg, at, Number(p.ackRtt), Number(rttMin), Number(rttMax));
        assert.ok(drawnIn(rg, cell, DATA_FG), `frame ${p.frame}'s ack_rtt ${p.ackRtt} at frame ${p.acksFrame}'s time is drawn`);
      }

      // Tab: window scaling, the client's tcp.window_size and the server's bytes in flight.
      const windows = analysed.filter((p) => !p.fromServer).map((p) => p.window);
      const inFlight = analysed.filter((p) => p.fromServer && p.bytesInFlight !== '').map((p) => Number(p.bytesInFlight));
      assert.ok(inFlight.length >= 10, `tshark found ${inFlight.length} segments with bytes in flight`);
      tm.keys('Tab');
      const winScreen = await tm.waitFor((x) => /Window scaling, stream 0/.test(x) && /└─/.test(x), 'the window graph', 15000, true);
      const winTitle = plain(winScreen.split('\n')[0]);
      assert.ok(winTitle.includes(`window ${minOf(windows)}–${maxOf(windows)} B, in flight ${minOf(inFlight)}–${maxOf(inFlight)} B`), `window title: ${winTitle}`);
      const wg = readGraph(winScreen);
      assert.equal(Number(wg.seqTop), Math.max(maxOf(windows), maxOf(inFlight)), 'the axis ends at the highest window or bytes in flight');
      assert.equal(Number(wg.seqBottom), Math.min(minOf(windows), minOf(inFlight)), 'and starts at the lowest');
      // Each of the client's windows where its packet was seen (a step starts there), each bytes-in-flight value as a dot.
      const wLo = Math.min(minOf(windows), minOf(inFlight)), wHi = Math.max(maxOf(windows), maxOf(inFlight));
      for (const p of analysed) {
        if (!p.fromServer) {
          const cell = cellOf(wg, p.t, p.window, wLo, wHi);
          assert.ok(drawnIn(wg, cell, WINDOW_FG) || drawnIn(wg, cell, DATA_FG), `frame ${p.frame}'s window ${p.window} is drawn`);
        } else if (p.bytesInFlight !== '') {
          assert.ok(drawnIn(wg, cellOf(wg, p.t, Number(p.bytesInFlight), wLo, wHi), DATA_FG), `frame ${p.frame}'s ${p.bytesInFlight} bytes in flight are drawn`);
        }
      }
      t.diagnostic(`throughput: ${steps} intervals of ${interval} s, max ${maxRate} B/s; ack_rtt ${rttMin}–${rttMax} s (${rtts.length}); window ${minOf(windows)}–${maxOf(windows)}, in flight ${minOf(inFlight)}–${maxOf(inFlight)}`);
      // Tab again: back to tcptrace.
      tm.keys('Tab');
      await tm.waitFor((x) => /TCP stream graph \(tcptrace\), stream 0/.test(x), 'tcptrace again', 15000);

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
