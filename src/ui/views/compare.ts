// The compare view (E): the TCP stream of the selected packet or conversation as wire bytes beside
// what they mean (src/reports/compare.ts builds and sanitizes the lines), coloured by side as in
// follow stream, with the stream's verdict in the title.

import { StreamComparer, compareLines, LineKind, verdictLabel } from '../../reports/compare';
import { Side } from '../../store/follow';
import { ListRow } from '../widgets/virtual-list';
import { Segment } from '../widgets/bar';
import { Theme, followAttr } from '../theme';

const SIDE_OF: Record<LineKind, Side> = {
  [LineKind.Note]: Side.Note,
  [LineKind.Client]: Side.Client,
  [LineKind.Server]: Side.Server,
};

export function compareRows(c: StreamComparer, theme: Theme, width: number): ListRow[] {
  return compareLines(c, { width }).map((l) => ({ text: l.text, attr: followAttr(theme, SIDE_OF[l.kind]) }));
}

export function compareTitle(c: StreamComparer, theme: Theme): Segment[] {
  const v = c.verdict;
  const segs: Segment[] = [{ text: ` Compare TCP stream ${c.stream}: wire bytes \u2502 what they mean  `, attr: theme.titleFocused }];
  if (v !== null) segs.push({ text: `verdict: ${verdictLabel(v)}`, attr: theme.titleFocused });
  return segs;
}
