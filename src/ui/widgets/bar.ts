// A one-line bar of text segments, each with its own attribute (status bar, pane titles).

import type * as blessed from 'blessed';
import { box, baseRender } from './blessed-core';
import { put, fill, PLAIN } from './paint';

export interface Segment {
  text: string;
  attr: number;
  /** May be cut (ending in "…") so that the segments after it still fit: paths, filters. */
  shrink?: boolean;
}

/** Texts of the segments cut to fit `width`: the longest shrinkable one loses a character at a time, down to 8 each. */
function fitSegments(segments: Segment[], width: number): string[] {
  const lens = segments.map((s) => s.text.length);
  let total = lens.reduce((n, l) => n + l, 0);
  while (total > width) {
    let longest = -1;
    for (let k = 0; k < segments.length; k++) {
      if (segments[k].shrink && lens[k] > 8 && (longest < 0 || lens[k] > lens[longest])) longest = k;
    }
    if (longest < 0) break;
    lens[longest]--;
    total--;
  }
  return segments.map((s, k) => (lens[k] < s.text.length ? s.text.slice(0, lens[k] - 1) + '\u2026' : s.text));
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
    const width = c.xl - c.xi;
    let rightWidth = 0;
    for (const s of this.right) rightWidth += s.text.length;
    // What the left says matters more than the hints on the right: they go when both do not fit.
    let leftWidth = 0;
    for (const s of this.segments) leftWidth += s.text.length;
    if (leftWidth + rightWidth > width) rightWidth = 0;
    const limit = Math.max(c.xi, c.xl - rightWidth);
    const texts = fitSegments(this.segments, limit - c.xi);
    let x = c.xi;
    this.segments.forEach((s, k) => (x = put(line, x, limit, texts[k], s.attr)));
    if (rightWidth === 0) return;
    x = limit;
    for (const s of this.right) x = put(line, x, c.xl, s.text, s.attr);
  }
}
