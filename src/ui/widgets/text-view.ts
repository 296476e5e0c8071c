// A full-screen, scrollable page of styled lines with a title (follow stream, help): a virtual list
// whose rows are the lines, so a long conversation scrolls as fast as a short one.

import * as blessed from 'blessed';
import { VirtualList, ListRow } from './virtual-list';
import { Bar, Segment } from './bar';

export class TextView {
  readonly title: Bar;
  readonly list: VirtualList;
  lines: ListRow[] = [];

  constructor(parent: blessed.Screen, titleAttr: number) {
    this.title = new Bar({ parent, top: 0, left: 0, width: '100%', height: 1, hidden: true });
    this.title.fillAttr = titleAttr;
    this.list = new VirtualList(
      { count: () => this.lines.length, row: (i) => this.lines[i] },
      { parent, top: 1, left: 0, width: '100%', height: 10, hidden: true },
    );
    this.list.focused = true;
    this.list.showSelection = false;
  }

  /** Scroll by rows (keys move the page, there is no cursor). */
  scroll(rows: number): void {
    this.list.scroll(rows);
  }

  page(dir: number): void {
    this.list.scroll(dir * this.list.pageSize);
  }

  home(): void {
    this.list.top = 0;
  }

  end(): void {
    this.list.top = Math.max(0, this.lines.length - this.list.pageSize);
  }

  setTitle(segments: Segment[], right: Segment[] = []): void {
    this.title.segments = segments;
    this.title.right = right;
  }

  show(lines: ListRow[], height: number): void {
    this.lines = lines;
    this.list.el.height = Math.max(1, height - 1);
    this.list.top = 0;
    this.list.left = 0;
    this.list.selected = 0;
    this.title.el.show();
    this.list.el.show();
    this.title.el.setFront();
    this.list.el.setFront();
  }

  resize(height: number): void {
    this.list.el.height = Math.max(1, height - 1);
    this.list.ensureVisible();
  }

  hide(): void {
    this.title.el.hide();
    this.list.el.hide();
  }

  get visible(): boolean {
    return !this.list.el.hidden;
  }
}
