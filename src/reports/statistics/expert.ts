// Expert information (tshark's -z expert): every finding of the capture, counted by severity,
// group, protocol and summary. One row per distinct finding, bounded by MAX_ROWS.

import { Dissection } from '../../decode/dissection';
import { ExpertSeverity } from '../../fields/registry';
import { protocolTree, TreeNode } from '../../fields/tree';

const MAX_ROWS = 100_000;

export interface ExpertRow {
  severity: ExpertSeverity;
  group: string;
  /** The protocol whose tree holds the finding (its filter name). */
  proto: string;
  summary: string;
  count: number;
}

export class ExpertInfo {
  readonly rows: ExpertRow[] = [];
  readonly perSeverity = new Map<ExpertSeverity, number>();
  private readonly index = new Map<string, ExpertRow>();

  add(d: Dissection): void {
    for (const root of protocolTree(d)) this.walk(root.name, root.children);
  }

  private walk(proto: string, nodes: TreeNode[]): void {
    for (const n of nodes) {
      const finding = n.name === '_ws.expert' ? n.children[0] : undefined;
      const e = finding?.field.expert;
      if (finding !== undefined && e !== undefined) this.count(e.severity, e.group, proto, finding.text);
      else this.walk(proto, n.children);
    }
  }

  private count(severity: ExpertSeverity, group: string, proto: string, summary: string): void {
    this.perSeverity.set(severity, (this.perSeverity.get(severity) ?? 0) + 1);
    const key = `${severity}\u0000${group}\u0000${proto}\u0000${summary}`;
    let row = this.index.get(key);
    if (row === undefined) {
      if (this.rows.length >= MAX_ROWS) return;
      row = { severity, group, proto, summary, count: 0 };
      this.index.set(key, row);
      this.rows.push(row);
    }
    row.count++;
  }
}
