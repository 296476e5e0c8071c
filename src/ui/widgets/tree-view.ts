// A collapsible tree drawn through the virtual list: the visible nodes are flattened into rows with
// their depth; toggling a node re-flattens. Generic: nodes are text with children.

import * as blessed from 'blessed';
import { VirtualList, ListRow } from './virtual-list';
import { PLAIN } from './paint';

export interface TreeNode {
  text: string;
  children: TreeNode[];
  expanded?: boolean;
}

interface Flat<T> {
  node: T;
  depth: number;
}

export class TreeView<T extends TreeNode> {
  readonly list: VirtualList;
  private flat: Flat<T>[] = [];
  private roots: T[] = [];
  onSelect: ((node: T | null) => void) | null = null;
  onToggle: ((node: T, expanded: boolean) => void) | null = null;
  /** Attribute of a node's row (the caller may colour some nodes). */
  attrOf: (node: T) => number = () => PLAIN;

  constructor(opts: blessed.Position & { parent: blessed.Screen | blessed.Element }) {
    this.list = new VirtualList(
      {
        count: () => this.flat.length,
        row: (i: number): ListRow => this.row(i),
      },
      { ...opts, gutter: true },
    );
    this.list.onSelect = (i) => this.onSelect?.(this.flat[i]?.node ?? null);
    this.list.onActivate = () => this.toggle();
  }

  get el(): blessed.Element {
    return this.list.el;
  }

  setRoots(roots: T[]): void {
    const keep = this.list.selected;
    this.roots = roots;
    this.reflatten();
    this.list.top = 0;
    this.list.selected = Math.min(keep, Math.max(0, this.flat.length - 1));
    this.list.ensureVisible();
  }

  selectedNode(): T | null {
    return this.flat[this.list.selected]?.node ?? null;
  }

  private reflatten(): void {
    const out: Flat<T>[] = [];
    const walk = (nodes: TreeNode[], depth: number): void => {
      for (const n of nodes) {
        out.push({ node: n as T, depth });
        if (n.expanded && n.children.length) walk(n.children, depth + 1);
      }
    };
    walk(this.roots, 0);
    this.flat = out;
  }

  private row(i: number): ListRow {
    const f = this.flat[i];
    const n = f.node;
    const mark = n.children.length === 0 ? '  ' : n.expanded ? '\u25be ' : '\u25b8 ';
    return { text: '  '.repeat(f.depth) + mark + n.text, attr: this.attrOf(n) };
  }

  setExpanded(expanded: boolean): void {
    const n = this.selectedNode();
    if (n === null || n.children.length === 0) {
      // Left on a leaf goes to its parent, as in Wireshark.
      if (!expanded && n !== null) this.selectParent();
      return;
    }
    if (!!n.expanded === expanded) {
      if (!expanded) this.selectParent();
      return;
    }
    n.expanded = expanded;
    this.onToggle?.(n, expanded);
    this.reflatten();
    this.list.ensureVisible();
  }

  toggle(): void {
    const n = this.selectedNode();
    if (n === null || n.children.length === 0) return;
    this.setExpanded(!n.expanded);
  }

  setAll(expanded: boolean): void {
    const walk = (nodes: TreeNode[]): void => {
      for (const n of nodes) {
        if (n.children.length) {
          n.expanded = expanded;
          this.onToggle?.(n as T, expanded);
          walk(n.children);
        }
      }
    };
    walk(this.roots);
    this.reflatten();
    this.list.select(Math.min(this.list.selected, this.flat.length - 1));
  }

  private selectParent(): void {
    const i = this.list.selected;
    const depth = this.flat[i]?.depth ?? 0;
    for (let k = i - 1; k >= 0; k--) {
      if (this.flat[k].depth < depth) {
        this.list.select(k);
        return;
      }
    }
  }
}
