// A virtualized list: it knows a row count and asks for the rows it shows, nothing else. Scrolling,
// jumping and drawing cost the same for ten rows or ten million. It knows nothing of packets.

import type * as blessed from 'blessed';
import { box, baseRender } from './blessed-core';
import { put, fill, fit, INVERSE, BOLD, UNDERLINE, attr, flagsOf, withFlags, PLAIN } from './paint';

export interface ListRow {
  text: string;
  attr: number;
}

export interface ListSource {
  count(): number;
  /** Row i; the widget cuts or pads the text to the width. */
  row(i: number, width: number): ListRow;
  /** Column titles, drawn as the first line when given. */
  header?(width: number): string;
}

export interface ListOptions extends blessed.Position {
  parent: blessed.Screen | blessed.Element;
  /** Show a one-column marker before the selected row (keeps selection visible without colour). */
  gutter?: boolean;
  hidden?: boolean;
}

const WHEEL_ROWS = 3;

export class VirtualList {
  readonly el: blessed.Element;
  selected = 0;
  top = 0;
  focused = false;
  /** Keep the selection on the last row as rows are added, while it is there (live capture). */
  follow = false;
  onSelect: ((i: number) => void) | null = null;
  onActivate: ((i: number) => void) | null = null;
  /** Draw the selected row highlighted (off for pages of text, which scroll instead). */
  showSelection = true;
  /** The selected row's attribute from its own; by default its colours swapped. */
  selectedAttr: (rowAttr: number) => number = (a) => withFlags(a, flagsOf(a) ^ INVERSE);
  /** The gutter's selection marker. */
  markerAttr = attr(BOLD);
  /** Draws a row's first column (the gutter) when the owner has more to say there than the selection (marks). */
  gutterCell: ((i: number, selected: boolean) => { ch: string; attr: number } | null) | null = null;
  /** Columns scrolled off to the left (rows wider than the list scroll sideways instead of staying cut). */
  left = 0;
  /** Milliseconds the last render took (for the benchmark). */
  lastRenderMs = 0;
  private lastCount = 0;
  private readonly gutter: number;

  constructor(readonly source: ListSource, opts: ListOptions) {
    const { parent, gutter, hidden, ...pos } = opts;
    this.gutter = gutter ? 1 : 0;
    this.el = box({ parent, ...pos, hidden: hidden ?? false, clickable: true, tags: false });
    const base = baseRender;
    this.el.render = () => {
      const coords = base.call(this.el);
      if (coords) this.paint(coords);
      return coords;
    };
    this.el.on('click', (m: blessed.MouseData) => this.click(m));
    this.el.on('wheeldown', () => this.scroll(WHEEL_ROWS));
    this.el.on('wheelup', () => this.scroll(-WHEEL_ROWS));
  }

  private get headerRows(): number {
    return this.source.header ? 1 : 0;
  }

  /** Rows visible at once. */
  get pageSize(): number {
    const h = typeof this.el.height === 'number' ? this.el.height : 0;
    return Math.max(1, h - this.headerRows);
  }

  count(): number {
    return this.source.count();
  }

  /** Call when rows were added: keeps following the end while the selection is on the last row. */
  refreshCount(): void {
    const n = this.count();
    if (this.follow && this.selected >= this.lastCount - 1 && n > this.lastCount) this.select(n - 1);
    if (this.selected >= n) this.selected = Math.max(0, n - 1);
    this.lastCount = n;
  }

  select(i: number): void {
    const n = this.count();
    if (n === 0) {
      this.selected = 0;
      this.top = 0;
      return;
    }
    const was = this.selected;
    this.selected = Math.max(0, Math.min(n - 1, i));
    this.ensureVisible();
    if (this.selected !== was || i !== was) this.onSelect?.(this.selected);
  }

  move(delta: number): void {
    this.select(this.selected + delta);
  }

  pageDown(): void {
    const page = this.pageSize;
    this.top = Math.min(Math.max(0, this.count() - page), this.top + page);
    this.select(this.selected + page);
  }

  pageUp(): void {
    const page = this.pageSize;
    this.top = Math.max(0, this.top - page);
    this.select(this.selected - page);
  }

  home(): void {
    this.select(0);
  }

  end(): void {
    this.select(this.count() - 1);
  }

  /** Whether the selection is on the last row (following the end). */
  get atEnd(): boolean {
    return this.selected >= this.count() - 1;
  }

  scroll(rows: number): void {
    const max = Math.max(0, this.count() - this.pageSize);
    this.top = Math.max(0, Math.min(max, this.top + rows));
    this.el.screen.render();
  }

  /** Scroll sideways by `cols` (negative: back to the left edge). */
  scrollSideways(cols: number): void {
    this.left = Math.max(0, this.left + cols);
  }

  ensureVisible(): void {
    const page = this.pageSize;
    if (this.selected < this.top) this.top = this.selected;
    else if (this.selected >= this.top + page) this.top = this.selected - page + 1;
    const max = Math.max(0, this.count() - page);
    if (this.top > max) this.top = max;
    if (this.top < 0) this.top = 0;
  }

  private click(m: blessed.MouseData): void {
    const c = this.el.lpos;
    if (!c) return;
    const row = m.y - c.yi - this.headerRows;
    if (row < 0) return;
    const i = this.top + row;
    if (i < this.count()) {
      const again = i === this.selected;
      this.select(i);
      if (again) this.onActivate?.(i);
      this.el.emit('picked', i);
    }
  }

  private paint(c: blessed.Coords): void {
    const t0 = performance.now();
    const lines = this.el.screen.lines;
    const x0 = c.xi, x1 = c.xl;
    const width = x1 - x0 - this.gutter;
    let y = c.yi;
    if (this.source.header) {
      const ha = attr(BOLD | (this.focused ? INVERSE : UNDERLINE));
      if (this.gutter) put(lines[y], x0, x0 + 1, ' ', ha);
      put(lines[y], x0 + this.gutter, x1, fit(this.source.header(width).slice(this.left), width), ha);
      y++;
    }
    const n = this.count();
    const page = c.yl - y;
    if (this.top > Math.max(0, n - page)) this.top = Math.max(0, n - page);
    for (let r = 0; r < page; r++, y++) {
      const i = this.top + r;
      const line = lines[y];
      if (i >= n) {
        fill(line, x0, x1, PLAIN);
        continue;
      }
      const row = this.source.row(i, width);
      const sel = this.showSelection && i === this.selected;
      const a = sel ? this.selectedAttr(row.attr) : row.attr;
      if (this.gutter) {
        const g = this.gutterCell?.(i, sel) ?? null;
        if (g !== null) put(line, x0, x0 + 1, g.ch, g.attr);
        else put(line, x0, x0 + 1, sel ? '\u25b6' : ' ', sel ? this.markerAttr : PLAIN);
      }
      put(line, x0 + this.gutter, x1, fit(this.left > 0 ? row.text.slice(this.left) : row.text, width), a);
    }
    this.lastRenderMs = performance.now() - t0;
  }
}
