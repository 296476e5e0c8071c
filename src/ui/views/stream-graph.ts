// The TCP stream graph (P), tcptrace style as Wireshark's "Stevens/tcptrace" draws it: relative
// sequence number over time for one direction of the selected packet's stream, in braille dots.
// Data segments are vertical strokes from their first to their last sequence number;
// retransmissions (what tcp.analysis.retransmission marks) stand out in their own colour; from the
// other direction the ACK line, the receive window's right edge (ack + window) and SACK blocks.
// The axes are labelled with the exact ranges drawn: the stream's first and last packet times
// (seconds since the capture's first packet) and the direction's lowest and highest sequence number.

import type * as blessed from 'blessed';
import { box, baseRender } from '../widgets/blessed-core';
import { BrailleCanvas } from '../widgets/braille';
import { put, fill, PLAIN } from '../widgets/paint';
import { Bar } from '../widgets/bar';
import { Theme, graphAttrs, GraphLayer } from '../theme';
import { PacketStore } from '../../store/packet-store';
import { StreamGraphData, streamGraph } from '../../store/stream-graph';
import { sanitizeText } from '../../output/sanitize';
import { humanBytes } from './conversations';

/** Columns of the sequence-number labels left of the plot (a 32-bit number and a space). */
const LABEL_W = 11;
/** Rows around the plot: title, legend above; the time axis and its labels below. */
const ROWS_ABOVE = 2, ROWS_BELOW = 2;

/** Where a point lands on a canvas of W×H dots for the data's ranges: the one mapping drawing and reading use. */
export function dotX(g: StreamGraphData, t: number, width: number): number {
  return g.t1 > g.t0 ? ((t - g.t0) / (g.t1 - g.t0)) * (width - 1) : 0;
}

export function dotY(g: StreamGraphData, seq: number, height: number): number {
  return height - 1 - (g.seq1 > g.seq0 ? ((seq - g.seq0) / (g.seq1 - g.seq0)) * (height - 1) : 0);
}

export function timeLabel(t: number): string {
  return `${t.toFixed(6)} s`;
}

export class StreamGraphView {
  readonly title: Bar;
  private el: blessed.Element | null = null;
  graph: StreamGraphData | null = null;
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
    const g = streamGraph(this.store, stream, direction);
    this.graph = g;
    const t = this.theme;
    this.title.segments = [
      { text: ` TCP stream graph (tcptrace), stream ${stream}: ${sanitizeText(g.from)} \u2192 ${sanitizeText(g.to)}  `, attr: t.titleFocused },
      { text: `${humanBytes(g.bytes)} in ${g.segments.length} segments, ${g.retransmissions} retransmitted${g.truncated ? ' (the stream\'s first packets)' : ''}`, attr: t.titleFocused },
    ];
    this.title.right = [{ text: 'm: other direction  Esc/q: back ', attr: t.titleFocused }];
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

  /** Draw the data on a canvas of the plot's size (once per size). */
  private draw(cols: number, rows: number): BrailleCanvas {
    if (this.canvas !== null && this.canvas.cols === cols && this.canvas.rows === rows) return this.canvas;
    const g = this.graph!;
    const cv = new BrailleCanvas(cols, rows);
    const W = cv.width, H = cv.height;
    const x = (t: number): number => dotX(g, t, W);
    const y = (s: number): number => dotY(g, s, H);
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
    this.canvas = cv;
    return cv;
  }

  private paint(c: blessed.Coords): void {
    const g = this.graph;
    if (g === null) return;
    const lines = this.el!.screen.lines;
    const t = this.theme;
    for (let yy = c.yi; yy < c.yl; yy++) fill(lines[yy], c.xi, c.xl, PLAIN);
    // Legend: what each colour is.
    let lx = put(lines[c.yi], c.xi, c.xl, ' ', PLAIN);
    const legend: [GraphLayer, string][] = [
      [GraphLayer.Data, 'data segment'], [GraphLayer.Retransmission, 'retransmission'], [GraphLayer.Sack, 'SACK block'],
      [GraphLayer.Ack, 'ACK'], [GraphLayer.Window, 'receive window (ack + window)'],
    ];
    for (const [layer, name] of legend) {
      lx = put(lines[c.yi], lx, c.xl, '\u28ff ', this.attrs[layer]);
      lx = put(lines[c.yi], lx, c.xl, `${name}   `, t.dim);
    }
    const top = c.yi + ROWS_ABOVE - 1;
    const axisRow = c.yl - ROWS_BELOW;
    const rows = axisRow - top;
    const x0 = c.xi + LABEL_W + 1;
    const cols = c.xl - x0;
    if (rows < 2 || cols < 8) return;
    const cv = this.draw(cols, rows);
    // Sequence axis: the highest number at the top row, the lowest at the bottom row, one between.
    const mid = top + Math.floor(rows / 2);
    const label = (row: number, v: number): void => void put(lines[row], c.xi, c.xi + LABEL_W, String(Math.round(v)).padStart(LABEL_W - 1) + ' ', t.dim);
    label(top, g.seq1);
    label(axisRow - 1, g.seq0);
    if (mid > top + 1 && mid < axisRow - 2) label(mid, g.seq0 + (g.seq1 - g.seq0) * (1 - (mid - top + 0.5) / rows));
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
