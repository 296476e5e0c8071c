// The I/O graph (I), Wireshark's Statistics › I/O Graph: packets or bytes per interval over the
// capture, one line per display filter, as Wireshark's graph list (the first line is the display
// filter in use; more are added and removed in the view). Drawn in text cells, one column per
// interval (the plot scrolls sideways with the cursor rather than merging intervals, so every
// column is one row of tshark's -z io,stat), each line a marker character of its own in its own
// colour: under NO_COLOR the markers alone tell the lines apart, and the legend names them. Where
// lines meet in a cell the lower-numbered line is drawn. The cursor's interval is read out with
// every line's exact value, in -z io,stat's interval notation.

import type * as blessed from 'blessed';
import { box, baseRender } from '../widgets/blessed-core';
import { put, fill, PLAIN } from '../widgets/paint';
import { Bar, Segment } from '../widgets/bar';
import { Theme, graphAttrs, GraphLayer } from '../theme';
import { IoGraphRun, IO_GRAPH_INTERVALS } from '../../store/io-graph';
import { usText } from '../../output/statistics-text';
import { sanitizeText } from '../../output/sanitize';

/** Each line's marker, in the order lines are added; so many lines at most. */
export const IO_LINE_MARKERS = ['\u25cf', '+', 'x', 'o', '#'] as const;
/** Each line's colour: the stream graph's layers, in an order that keeps neighbours apart. */
const LINE_LAYERS = [GraphLayer.Data, GraphLayer.Ack, GraphLayer.Window, GraphLayer.Sack, GraphLayer.Retransmission];
/** Columns of the value labels left of the plot (a count up to 10 digits and a space). */
const LABEL_W = 11;
/** The least plot rows drawn. */
const MIN_ROWS = 3;

export type IoUnit = 'packets' | 'bytes';

/** Texts laid out left to right over as many rows as the width needs (never printed over each other). */
function flow(items: Segment[], width: number): Segment[][] {
  const rows: Segment[][] = [[]];
  let x = 0;
  for (const it of items) {
    const text = it.text.length > width ? it.text.slice(0, Math.max(1, width - 1)) + '\u2026' : it.text;
    if (x > 0 && x + text.length > width) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1].push({ text, attr: it.attr });
    x += text.length;
  }
  return rows;
}

export class IoGraphView {
  readonly title: Bar;
  private el: blessed.Element | null = null;
  run: IoGraphRun | null = null;
  unit: IoUnit = 'packets';
  /** Index into IO_GRAPH_INTERVALS; Wireshark's default is 1 s. */
  interval = 3;
  /** The interval the cursor is on, and the first one shown. */
  cursor = 0;
  private first = 0;
  /** Plot columns at the last paint: how far a page moves. */
  private cols = 0;
  private readonly attrs: number[];

  constructor(private readonly parent: blessed.Screen, private readonly theme: Theme) {
    this.title = new Bar({ parent, top: 0, left: 0, width: '100%', height: 1, hidden: true });
    this.title.fillAttr = theme.titleFocused;
    const a = graphAttrs(theme);
    this.attrs = LINE_LAYERS.map((l) => a[l]);
  }

  get visible(): boolean {
    return this.el !== null;
  }

  show(run: IoGraphRun, height: number): void {
    this.hide();
    this.run = run;
    this.cursor = Math.min(this.cursor, Math.max(0, run.io.intervals - 1));
    this.update();
    this.title.el.show();
    this.title.el.setFront();
    const el = box({ parent: this.parent, top: 1, left: 0, width: '100%', height: Math.max(MIN_ROWS + 4, height - 1), tags: false });
    el.render = () => {
      const c = baseRender.call(el);
      if (c) this.paint(c);
      return c;
    };
    this.el = el;
    el.setFront();
  }

  /** Replace the run (a line added or removed, another interval), keeping the cursor's time. */
  replace(run: IoGraphRun): void {
    const old = this.run;
    if (old !== null && old.io.intervalUs > 0 && run.io.intervalUs > 0) {
      this.cursor = Math.floor((this.cursor * old.io.intervalUs) / run.io.intervalUs);
    }
    old?.close();
    this.run = run;
    this.update();
  }

  /** The title's counts, after a step of the run. */
  update(): void {
    const run = this.run;
    if (run === null) return;
    const t = this.theme;
    const iv = IO_GRAPH_INTERVALS[this.interval];
    // A live capture's graph that has counted every packet so far is up to date, not counting.
    const counting = !run.done && !(run.store.kind === 'live' && run.scanned >= run.store.count);
    const progress = counting ? `  counting\u2026 ${run.scanned} of ${run.store.count} packets` : '';
    this.title.segments = [{ text: ` I/O graph: ${this.unit} per ${iv.name}${progress} `, attr: t.titleFocused }];
    this.title.right = [{ text: ' \u2190\u2192 < > u + -: see ?  Esc/q: back ', attr: t.titleFocused }];
  }

  resize(height: number): void {
    if (this.el) this.el.height = Math.max(MIN_ROWS + 4, height - 1);
  }

  hide(): void {
    this.title.el.hide();
    if (this.el) {
      this.el.destroy();
      this.el = null;
    }
  }

  /** Move the cursor by n intervals (clamped to the capture's). */
  move(n: number): void {
    if (this.run === null) return;
    this.cursor = Math.max(0, Math.min(this.run.io.intervals - 1, this.cursor + n));
  }

  page(dir: 1 | -1): void {
    this.move(dir * Math.max(1, this.cols - 1));
  }

  home(): void {
    this.cursor = 0;
  }

  end(): void {
    this.move(Number.MAX_SAFE_INTEGER);
  }

  /** A line's value in an interval: frames or bytes, 0 where nothing was counted. */
  private value(line: number, k: number): number {
    const cell = this.run!.io.columns[line].cells.get(k);
    return cell === undefined ? 0 : this.unit === 'packets' ? cell.frames : cell.bytes;
  }

  /** The interval's bounds in seconds as tshark's io,stat writes them ("0.02 <> 0.03"; the last one "0.30 <> Dur"). */
  intervalText(k: number): string {
    const io = this.run!.io;
    const start = k * io.intervalUs;
    return `${usText(start, io.precision)} <> ${k === io.intervals - 1 ? 'Dur' : usText(start + io.intervalUs, io.precision)}`;
  }

  private paint(c: blessed.Coords): void {
    const run = this.run;
    if (run === null) return;
    const lines = this.el!.screen.lines;
    const t = this.theme;
    const io = run.io;
    const width = c.xl - c.xi;
    for (let y = c.yi; y < c.yl; y++) fill(lines[y], c.xi, c.xl, PLAIN);
    // Legend, then the cursor's readout: every line's marker, what it counts and its value there.
    const legend: Segment[] = [];
    run.lines.forEach((l, j) => {
      const what = l.expression === '' ? 'all packets' : sanitizeText(l.expression);
      legend.push({ text: `${IO_LINE_MARKERS[j]} ${j + 1}: `, attr: this.attrs[j] });
      legend.push({ text: `${what}${j === 0 ? ' (display filter)' : ''}   `, attr: t.dim });
    });
    const readout: Segment[] = [{ text: `${this.intervalText(this.cursor)}: `, attr: t.helpKey }];
    run.lines.forEach((_, j) => {
      readout.push({ text: `${IO_LINE_MARKERS[j]} ${j + 1}: ${this.value(j, this.cursor)}`, attr: this.attrs[j] });
      readout.push({ text: j + 1 < run.lines.length ? '   ' : ` ${this.unit}`, attr: t.dim });
    });
    let y = c.yi;
    for (const row of [...flow(legend, width - 1), ...flow(readout, width - 1)]) {
      if (y >= c.yl) return;
      let x = c.xi + 1;
      for (const s of row) x = put(lines[y], x, c.xl, s.text, s.attr);
      y++;
    }
    const top = y, axisRow = c.yl - 2, rows = axisRow - top;
    const x0 = c.xi + LABEL_W + 1;
    const cols = c.xl - x0;
    if (rows < MIN_ROWS || cols < 8) return;
    this.cols = cols;
    // The window of intervals shown keeps the cursor in view.
    const n = io.intervals;
    if (this.cursor < this.first) this.first = this.cursor;
    if (this.cursor >= this.first + cols) this.first = this.cursor - cols + 1;
    this.first = Math.max(0, Math.min(this.first, n - cols));
    let max = 0;
    for (let j = 0; j < io.columns.length; j++) max = Math.max(max, this.unit === 'packets' ? io.columns[j].maxFrames : io.columns[j].maxBytes);
    const label = (row: number, text: string): void => void put(lines[row], c.xi, c.xi + LABEL_W, text.padStart(LABEL_W - 1) + ' ', t.dim);
    label(top, String(max));
    for (let r = 0; r < rows; r++) put(lines[top + r], x0 - 1, x0, r === 0 ? '\u2524' : '\u2502', t.dim);
    for (let k = 0; k < cols && this.first + k < n; k++) {
      const iv = this.first + k, x = x0 + k;
      if (iv === this.cursor) for (let r = 0; r < rows; r++) put(lines[top + r], x, x + 1, '\u250a', t.dim);
      // The highest-numbered line first, so that the first line is drawn over the others.
      for (let j = io.columns.length - 1; j >= 0; j--) {
        const v = this.value(j, iv);
        if (v === 0 || max === 0) continue;
        // Rows from the bottom: any value above 0 reaches the lowest row, the maximum the top one.
        const up = Math.max(1, Math.ceil((v / max) * rows));
        put(lines[top + rows - up], x, x + 1, IO_LINE_MARKERS[j], this.attrs[j]);
      }
    }
    // The axes: 0 at the axis, the first and last shown interval's start beneath it.
    label(axisRow, '0');
    put(lines[axisRow], x0 - 1, x0, '\u2514', t.dim);
    fill(lines[axisRow], x0, c.xl, t.dim, '\u2500');
    const cx = x0 + this.cursor - this.first;
    if (cx < c.xl) put(lines[axisRow], cx, cx + 1, '\u2534', t.dim);
    const startOf = (k: number): string => `${usText(k * io.intervalUs, io.precision)} s`;
    const left = startOf(this.first);
    put(lines[axisRow + 1], x0, c.xl, left, t.dim);
    const lastShown = Math.min(n, this.first + cols) - 1;
    const right = startOf(lastShown);
    const rx = x0 + (lastShown - this.first) - right.length + 1;
    if (lastShown > this.first && rx > x0 + left.length + 1) put(lines[axisRow + 1], rx, rx + right.length, right, t.dim);
  }
}
