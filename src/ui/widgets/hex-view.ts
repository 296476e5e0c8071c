// Hex and ASCII view of a byte range with one highlighted span (the bytes of the selected tree node).
// Generic: it shows bytes, whatever they are. Non-printable bytes show as '.', never raw.

import type * as blessed from 'blessed';
import { box, baseRender } from './blessed-core';
import { put, fill, PLAIN, attr, BOLD, INVERSE } from './paint';

const HEX = '0123456789abcdef';

export class HexView {
  readonly el: blessed.Element;
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  private len = 0;
  private hlStart = -1;
  private hlLen = 0;
  top = 0;
  focused = false;
  /** Attribute of highlighted bytes. */
  highlightAttr = attr(BOLD | INVERSE);
  offsetAttr = PLAIN;

  constructor(opts: blessed.Position & { parent: blessed.Screen | blessed.Element }) {
    this.el = box({ ...opts, clickable: true, tags: false });
    const base = baseRender;
    this.el.render = () => {
      const coords = base.call(this.el);
      if (coords) this.paint(coords);
      return coords;
    };
    this.el.on('wheeldown', () => this.scroll(2));
    this.el.on('wheelup', () => this.scroll(-2));
  }

  get lineCount(): number {
    return Math.ceil(this.len / 16);
  }

  private get height(): number {
    return typeof this.el.height === 'number' ? this.el.height : 1;
  }

  /** Show buf[off, off + len); the highlight is relative to off (-1 for none). */
  setBytes(buf: Buffer, off: number, len: number): void {
    this.buf = buf;
    this.off = off;
    this.len = Math.max(0, Math.min(len, buf.length - off));
    this.hlStart = -1;
    this.hlLen = 0;
    this.top = 0;
  }

  highlight(start: number, len: number): void {
    if (start < 0 || start >= this.len || len <= 0) {
      this.hlStart = -1;
      this.hlLen = 0;
      return;
    }
    this.hlStart = start;
    this.hlLen = Math.min(len, this.len - start);
    const first = Math.floor(start / 16), last = Math.floor((start + this.hlLen - 1) / 16);
    const h = this.height;
    if (first < this.top || last >= this.top + h) this.top = Math.max(0, Math.min(first, this.lineCount - h));
  }

  scroll(rows: number): void {
    this.top = Math.max(0, Math.min(Math.max(0, this.lineCount - this.height), this.top + rows));
    this.el.screen.render();
  }

  private paint(c: blessed.Coords): void {
    const lines = this.el.screen.lines;
    for (let y = c.yi, row = this.top; y < c.yl; y++, row++) {
      const line = lines[y];
      fill(line, c.xi, c.xl, PLAIN);
      if (row >= this.lineCount) continue;
      const x = put(line, c.xi, c.xl, (row * 16).toString(16).padStart(4, '0') + '  ', this.offsetAttr);
      const asciiX = x + 16 * 3 + 2;
      for (let k = 0; k < 16; k++) {
        const p = row * 16 + k;
        if (p >= this.len) break;
        const b = this.buf[this.off + p];
        const hl = p >= this.hlStart && p < this.hlStart + this.hlLen;
        const a = hl ? this.highlightAttr : PLAIN;
        // the space between two highlighted bytes is highlighted too, so a span reads as one block
        const sepA = hl && p + 1 < this.hlStart + this.hlLen && k < 15 ? a : PLAIN;
        put(line, x + k * 3, c.xl, HEX[b >> 4] + HEX[b & 15], a);
        put(line, x + k * 3 + 2, c.xl, ' ', sepA);
        put(line, asciiX + k, c.xl, b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.', a);
      }
    }
  }
}
