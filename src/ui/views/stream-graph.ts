// The TCP stream graphs (P), as Wireshark's TCP Stream Graphs dialog draws them, for one direction of
// the selected packet's stream, in braille dots; Tab cycles the graph type:
// - tcptrace ("Stevens/tcptrace"): relative sequence number over time. Data segments are vertical
//   strokes from their first to their last sequence number; retransmissions (what
//   tcp.analysis.retransmission marks) stand out in their own colour; from the other direction the
//   ACK line, the receive window's right edge (ack + window) and SACK blocks.
// - Throughput: the direction's payload bytes per fixed interval, in bytes per second (steps).
// - Round-trip time: tcp.analysis.ack_rtt of the other direction's ACKs, at the time of the segment
//   each acknowledges (dots).
// - Window scaling: the other direction's calculated window (tcp.window_size, steps) and this
//   direction's bytes in flight (dots).
// - One-way delay (a capture with two capture points, -i twice): each segment of both directions
//   paired with its copy at the other point as -z pairs pairs them, its delay in ms at the time it
//   passed the upstream point (dots, a colour per direction), and the segments lost between the
//   points along the top row.
// The axes are labelled with the exact ranges drawn: the stream's first and last packet times
// (seconds since the capture's first packet) and the lowest and highest value plotted (throughput
// from 0). The data comes from src/store/stream-graph.ts and stream-series.ts.

import type * as blessed from 'blessed';
import { box, baseRender } from '../widgets/blessed-core';
import { BrailleCanvas } from '../widgets/braille';
import { put, fill, PLAIN } from '../widgets/paint';
import { Bar, Segment } from '../widgets/bar';
import { Theme, graphAttrs, GraphLayer } from '../theme';
import { PacketStore } from '../../store/packet-store';
import { StreamGraphData, streamGraph } from '../../store/stream-graph';
import { StreamSeries, streamSeries, streamDelays, DelaySeries } from '../../store/stream-series';
import { sanitizeText } from '../../output/sanitize';
import { humanBytes } from './conversations';

/** Least columns of the value labels left of the plot (a 32-bit number and a space). */
const LABEL_W = 11;
/** Rows around the plot: title, legend above; the time axis and its labels below. */
const ROWS_ABOVE = 2, ROWS_BELOW = 2;

/** The graph types in the order Tab cycles them (Wireshark's dialog lists them so, less goodput). */
export const GRAPH_TYPES = ['tcptrace', 'throughput', 'rtt', 'window', 'delay'] as const;
export type GraphType = typeof GRAPH_TYPES[number];
const TYPE_NAMES: Record<GraphType, string> = {
  tcptrace: 'TCP stream graph (tcptrace)', throughput: 'Throughput', rtt: 'Round-trip time', window: 'Window scaling',
  delay: 'One-way delay between the capture points',
};

/** Where a point lands on a canvas of W×H dots for the data's ranges: the one mapping drawing and reading use. */
export function dotX(g: StreamGraphData, t: number, width: number): number {
  return g.t1 > g.t0 ? ((t - g.t0) / (g.t1 - g.t0)) * (width - 1) : 0;
}

export function dotY(g: StreamGraphData, seq: number, height: number): number {
  return valueY(g.seq0, g.seq1, seq, height);
}

export function valueY(lo: number, hi: number, v: number, height: number): number {
  return height - 1 - (hi > lo ? ((v - lo) / (hi - lo)) * (height - 1) : 0);
}

export function timeLabel(t: number): string {
  return `${t.toFixed(6)} s`;
}

/** A rate or count as an exact decimal (rates over 1-2-5 intervals have few decimals). */
function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3)));
}

/** What one graph type plots: its value range and labels, legend and strokes. */
interface Plot {
  lo: number;
  hi: number;
  label: (v: number) => string;
  legend: [GraphLayer, string][];
  draw: (cv: BrailleCanvas, x: (t: number) => number, y: (v: number) => number) => void;
}

export class StreamGraphView {
  readonly title: Bar;
  private el: blessed.Element | null = null;
  graph: StreamGraphData | null = null;
  /** The other graphs' data, read when one of them is first shown for this stream and direction. */
  series: StreamSeries | null = null;
  /** Each direction's one-way delay, for a stream seen at two capture points (read when first shown for the stream). */
  delays: { stream: number; count: number; directions: DelaySeries[]; points: number; truncated: boolean } | null = null;
  /** The graph shown; kept when the view shows another direction or stream. */
  type: GraphType = 'tcptrace';
  private canvas: BrailleCanvas | null = null;
  private readonly attrs: number[];

  constructor(private readonly parent: blessed.Screen, private readonly store: PacketStore, private readonly theme: Theme) {
    this.title = new Bar({ parent, top: 0, left: 0, width: '100%', height: 1, hidden: true });
    this.title.fillAttr = theme.titleFocused;
    this.attrs = graphAttrs(theme);
  }

  get visible(): boolean {
    return this.el !== null;
  }

  show(stream: number, direction: 0 | 1, height: number): void {
    this.hide();
    this.graph = streamGraph(this.store, stream, direction);
    this.series = null;
    this.setTitle();
    this.title.el.show();
    this.title.el.setFront();
    const el = box({ parent: this.parent, top: 1, left: 0, width: '100%', height: Math.max(ROWS_ABOVE + ROWS_BELOW + 2, height - 1), tags: false });
    el.render = () => {
      const c = baseRender.call(el);
      if (c) this.paint(c);
      return c;
    };
    this.el = el;
    this.canvas = null;
    el.setFront();
  }

  /** The next graph type (Tab), on the same stream and direction; the delay graph only where a capture has two points. */
  nextType(): void {
    if (this.graph === null) return;
    this.type = GRAPH_TYPES[(GRAPH_TYPES.indexOf(this.type) + 1) % GRAPH_TYPES.length];
    if (this.type === 'delay' && new Set(this.store.index.links.map((l) => l.ifIndex)).size < 2) this.type = GRAPH_TYPES[0];
    this.canvas = null;
    this.setTitle();
  }

  private delayData(): NonNullable<StreamGraphView['delays']> {
    const g = this.graph!;
    // Read again when packets came since (a live capture, a file still being indexed).
    if (this.delays === null || this.delays.stream !== g.stream || this.delays.count !== this.store.count) {
      this.delays = { stream: g.stream, count: this.store.count, ...streamDelays(this.store, g.stream) };
    }
    return this.delays;
  }

  /** A delay in ms as the lanes and -z pairs print it. */
  private static ms(v: number): string {
    return `${v.toFixed(3)} ms`;
  }

  private seriesData(): StreamSeries {
    const g = this.graph!;
    if (this.series === null || this.series.stream !== g.stream || this.series.direction !== g.direction) {
      this.series = streamSeries(this.store, g.stream, g.direction);
    }
    return this.series;
  }

  private setTitle(): void {
    const g = this.graph!;
    const t = this.theme;
    // The delay graph draws both directions: its title names each with its numbers instead.
    const head: Segment = { text: this.type === 'delay' ? ` ${TYPE_NAMES[this.type]}, stream ${g.stream}  `
      : ` ${TYPE_NAMES[this.type]}, stream ${g.stream}: ${sanitizeText(g.from)} \u2192 ${sanitizeText(g.to)}  `, attr: t.titleFocused };
    let info: string;
    const cut = g.truncated ? ' (the stream\'s first packets)' : '';
    if (this.type === 'tcptrace') {
      info = `${humanBytes(g.bytes)} in ${g.segments.length} segments, ${g.retransmissions} retransmitted${cut}`;
    } else if (this.type === 'delay') {
      const x = this.delayData();
      info = x.directions.length === 0 ? `the stream was not seen at two capture points${cut}`
        : x.directions.map((d) => `${sanitizeText(d.direction)}: median ${StreamGraphView.ms(d.medianMs)}, ${d.delay.t.length} paired, ${d.lostT.length} lost`).join('; ') + (x.truncated ? ' (the stream\'s first packets)' : '');
    } else {
      const s = this.seriesData();
      if (this.type === 'throughput') {
        info = `tcp.len per interval ${s.intervalUs / 1e6} s: max ${num(s.throughput.max)} B/s${cut}`;
      } else if (this.type === 'rtt') {
        info = s.rtt.t.length === 0 ? `no ACK with an RTT${cut}` : `ack_rtt of ${s.rtt.t.length} ACKs: ${this.seconds(s.rtt.min)}\u2013${this.seconds(s.rtt.max)} s${cut}`;
      } else {
        info = `window ${s.window.min}\u2013${s.window.max} B, in flight ${s.bytesInFlight.min}\u2013${s.bytesInFlight.max} B${cut}`;
      }
    }
    this.title.segments = [head, { text: info, attr: t.titleFocused, shrink: true }];
    this.title.right = [{ text: ' Tab: graph  m: direction  Esc/q: back ', attr: t.titleFocused }];
  }

  /** Seconds as the capture's timestamps resolve them (tshark prints ack_rtt so, padded to 9 digits). */
  private seconds(v: number): string {
    return v.toFixed(this.store.nanosecond ? 9 : 6);
  }

  resize(height: number): void {
    if (this.el) this.el.height = Math.max(ROWS_ABOVE + ROWS_BELOW + 2, height - 1);
    this.canvas = null;
  }

  hide(): void {
    this.title.el.hide();
    if (this.el) {
      this.el.destroy();
      this.el = null;
    }
    this.canvas = null;
  }

  /** The shown graph type's ranges, labels, legend and strokes. */
  private plot(): Plot {
    const g = this.graph!;
    if (this.type === 'tcptrace') {
      return {
        lo: g.seq0, hi: g.seq1, label: (v) => String(Math.round(v)),
        legend: [
          [GraphLayer.Data, 'data segment'], [GraphLayer.Retransmission, 'retransmission'], [GraphLayer.Sack, 'SACK block'],
          [GraphLayer.Ack, 'ACK'], [GraphLayer.Window, 'receive window (ack + window)'],
        ],
        draw: (cv, x, y) => {
          // Steps, as tcptrace draws them: a value holds until the next packet changes it.
          const acks = g.acks;
          for (let k = 0; k < acks.length; k++) {
            const a = acks[k], next = acks[k + 1];
            if (a.windowEdge >= 0) {
              cv.hline(y(a.windowEdge), x(a.t), next !== undefined ? x(next.t) : x(a.t), GraphLayer.Window);
              if (next !== undefined && next.windowEdge >= 0) cv.vline(x(next.t), y(a.windowEdge), y(next.windowEdge), GraphLayer.Window);
            }
            cv.hline(y(a.ack), x(a.t), next !== undefined ? x(next.t) : x(a.t), GraphLayer.Ack);
            if (next !== undefined) cv.vline(x(next.t), y(a.ack), y(next.ack), GraphLayer.Ack);
            for (let s = 0; s + 1 < a.sacks.length; s += 2) cv.vline(x(a.t), y(a.sacks[s]), y(a.sacks[s + 1]), GraphLayer.Sack);
          }
          for (const s of g.segments) cv.vline(x(s.t), y(s.seq), y(s.end), s.retransmission ? GraphLayer.Retransmission : GraphLayer.Data);
        },
      };
    }
    if (this.type === 'delay') {
      const x = this.delayData();
      const ds = x.directions;
      let lo = Infinity, hi = -Infinity;
      for (const d of ds) {
        lo = Math.min(lo, d.delay.min);
        hi = Math.max(hi, d.delay.max);
      }
      if (ds.length === 0) lo = hi = 0;
      const layers = [GraphLayer.Data, GraphLayer.Ack];
      return {
        lo, hi, label: StreamGraphView.ms,
        legend: [
          ...ds.slice(0, 2).map((d, k): [GraphLayer, string] => [layers[k], `${sanitizeText(d.direction)} (upstream point ${d.upstream})`]),
          [GraphLayer.Retransmission, 'lost between the points (top row)'],
        ],
        draw: (cv, x, y) => {
          ds.slice(0, 2).forEach((d, k) => {
            for (let j = 0; j < d.delay.t.length; j++) cv.dot(x(d.delay.t[j]), y(d.delay.v[j]), layers[k]);
          });
          for (const d of ds) for (let j = 0; j < d.lostT.length; j++) cv.dot(x(d.lostT[j]), y(hi), GraphLayer.Retransmission);
        },
      };
    }
    const s = this.seriesData();
    if (this.type === 'throughput') {
      const tp = s.throughput, dt = s.intervalUs / 1e6;
      return {
        lo: 0, hi: tp.max, label: num,
        legend: [[GraphLayer.Data, `throughput (B/s): tcp.len of each ${dt} s interval from the capture's start, retransmissions included`]],
        draw: (cv, x, y) => {
          // Each interval's rate holds over the interval (a step), joined to the next.
          for (let k = 0; k < tp.t.length; k++) {
            cv.hline(y(tp.v[k]), x(tp.t[k]), x(tp.t[k] + dt), GraphLayer.Data);
            if (k + 1 < tp.t.length) cv.vline(x(tp.t[k] + dt), y(tp.v[k]), y(tp.v[k + 1]), GraphLayer.Data);
          }
        },
      };
    }
    if (this.type === 'rtt') {
      const r = s.rtt;
      return {
        lo: r.min, hi: r.max, label: (v) => this.seconds(v),
        legend: [[GraphLayer.Data, 'tcp.analysis.ack_rtt (s) of the ACKs, at the time of the segment each acknowledges']],
        draw: (cv, x, y) => {
          for (let k = 0; k < r.t.length; k++) cv.dot(x(r.t[k]), y(r.v[k]), GraphLayer.Data);
        },
      };
    }
    const w = s.window, b = s.bytesInFlight;
    const lo = w.t.length === 0 ? b.min : b.t.length === 0 ? w.min : Math.min(w.min, b.min);
    const hi = Math.max(w.max, b.max);
    return {
      lo, hi, label: (v) => String(Math.round(v)),
      legend: [[GraphLayer.Window, 'receive window (tcp.window_size of the other direction)'], [GraphLayer.Data, 'bytes in flight (tcp.analysis.bytes_in_flight)']],
      draw: (cv, x, y) => {
        for (let k = 0; k < w.t.length; k++) {
          const next = k + 1 < w.t.length ? w.t[k + 1] : w.t[k];
          cv.hline(y(w.v[k]), x(w.t[k]), x(next), GraphLayer.Window);
          if (k + 1 < w.t.length) cv.vline(x(next), y(w.v[k]), y(w.v[k + 1]), GraphLayer.Window);
        }
        for (let k = 0; k < b.t.length; k++) cv.dot(x(b.t[k]), y(b.v[k]), GraphLayer.Data);
      },
    };
  }

  /** Draw the data on a canvas of the plot's size (once per size and type). */
  private draw(p: Plot, cols: number, rows: number): BrailleCanvas {
    if (this.canvas !== null && this.canvas.cols === cols && this.canvas.rows === rows) return this.canvas;
    const g = this.graph!;
    const cv = new BrailleCanvas(cols, rows);
    const W = cv.width, H = cv.height;
    p.draw(cv, (t) => dotX(g, t, W), (v) => valueY(p.lo, p.hi, v, H));
    this.canvas = cv;
    return cv;
  }

  private paint(c: blessed.Coords): void {
    const g = this.graph;
    if (g === null) return;
    const lines = this.el!.screen.lines;
    const t = this.theme;
    const p = this.plot();
    for (let yy = c.yi; yy < c.yl; yy++) fill(lines[yy], c.xi, c.xl, PLAIN);
    // Legend: what each colour is.
    let lx = put(lines[c.yi], c.xi, c.xl, ' ', PLAIN);
    for (const [layer, name] of p.legend) {
      lx = put(lines[c.yi], lx, c.xl, '\u28ff ', this.attrs[layer]);
      lx = put(lines[c.yi], lx, c.xl, `${name}   `, t.dim);
    }
    const top = c.yi + ROWS_ABOVE - 1;
    const axisRow = c.yl - ROWS_BELOW;
    const rows = axisRow - top;
    const mid = top + Math.floor(rows / 2);
    const midValue = p.lo + (p.hi - p.lo) * (1 - (mid - top + 0.5) / rows);
    const labelW = Math.max(LABEL_W, p.label(p.hi).length + 1, p.label(p.lo).length + 1, p.label(midValue).length + 1);
    const x0 = c.xi + labelW + 1;
    const cols = c.xl - x0;
    if (rows < 2 || cols < 8) return;
    const cv = this.draw(p, cols, rows);
    // Value axis: the highest value at the top row, the lowest at the bottom row, one between.
    const label = (row: number, v: number): void => void put(lines[row], c.xi, c.xi + labelW, p.label(v).padStart(labelW - 1) + ' ', t.dim);
    label(top, p.hi);
    label(axisRow - 1, p.lo);
    if (mid > top + 1 && mid < axisRow - 2) label(mid, midValue);
    for (let r = 0; r < rows; r++) {
      const line = lines[top + r];
      const tick = r === 0 || r === rows - 1 || top + r === mid;
      put(line, x0 - 1, x0, tick ? '\u2524' : '\u2502', t.dim);
      for (let k = 0; k < cols; k++) {
        const layer = cv.layer(k, r);
        if (layer >= 0) put(line, x0 + k, x0 + k + 1, cv.char(k, r), this.attrs[layer]);
      }
    }
    // Time axis: the first and last packet's time at the ends, the middle between.
    const axis = lines[axisRow];
    put(axis, x0 - 1, x0, '\u2514', t.dim);
    fill(axis, x0, c.xl, t.dim, '\u2500');
    const tl = lines[axisRow + 1];
    put(tl, x0, c.xl, timeLabel(g.t0), t.dim);
    const last = timeLabel(g.t1);
    put(tl, c.xl - last.length, c.xl, last, t.dim);
    const midLabel = timeLabel((g.t0 + g.t1) / 2);
    const mx = x0 + Math.floor(cols / 2) - Math.floor(midLabel.length / 2);
    if (mx > x0 + timeLabel(g.t0).length + 2 && mx + midLabel.length < c.xl - last.length - 2) put(tl, mx, mx + midLabel.length, midLabel, t.dim);
  }
}
