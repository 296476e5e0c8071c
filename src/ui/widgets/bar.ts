// A one-line bar of text segments, each with its own attribute (status bar, pane titles).

import type * as blessed from 'blessed';
import { box, baseRender } from './blessed-core';
import { put, fill, PLAIN } from './paint';

export interface Segment {
  text: string;
  attr: number;
}

export class Bar {
  readonly el: blessed.Element;
  segments: Segment[] = [];
  /** Segments drawn from the right edge leftwards. */
  right: Segment[] = [];
  fillAttr = PLAIN;

  constructor(pos: blessed.Position & { parent: blessed.Screen | blessed.Element; hidden?: boolean }) {
    this.el = box({ ...pos, tags: false });
    const base = baseRender;
    this.el.render = () => {
      const c = base.call(this.el);
      if (c) this.paint(c);
      return c;
    };
  }

  private paint(c: blessed.Coords): void {
    const line = this.el.screen.lines[c.yi];
    fill(line, c.xi, c.xl, this.fillAttr);
    let rightWidth = 0;
    for (const s of this.right) rightWidth += s.text.length;
    const limit = Math.max(c.xi, c.xl - rightWidth);
    let x = c.xi;
    for (const s of this.segments) x = put(line, x, limit, s.text, s.attr);
    x = limit;
    for (const s of this.right) x = put(line, x, c.xl, s.text, s.attr);
  }
}
