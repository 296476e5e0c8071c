// The help overlay: every key from keys.ts and what each row colour means, drawn in the colours
// themselves.

import { BINDINGS } from '../keys';
import { ListRow } from '../widgets/virtual-list';
import { Theme } from '../theme';
import { PLAIN, attr, BOLD } from '../widgets/paint';

const WHERE_TITLES: Record<string, string> = {
  global: 'Everywhere',
  panes: 'Packet list, details and bytes panes',
  details: 'Details pane',
  views: 'Follow stream, compare, conversations, statistics, help',
};

export function helpLines(theme: Theme): ListRow[] {
  const out: ListRow[] = [];
  const heading = attr(BOLD);
  out.push({ text: 'tcpwatch \u2014 keys', attr: heading });
  out.push({ text: '', attr: PLAIN });
  for (const where of ['global', 'panes', 'details', 'views'] as const) {
    out.push({ text: WHERE_TITLES[where], attr: attr(BOLD) });
    for (const b of BINDINGS.filter((x) => x.where === where)) {
      out.push({ text: `  ${b.shown.padEnd(14)} ${b.help}`, attr: theme.help });
    }
    out.push({ text: '', attr: PLAIN });
  }
  out.push({ text: 'Mouse: click selects a packet or node (click again to open it), the wheel scrolls.', attr: theme.help });
  out.push({ text: '', attr: PLAIN });
  out.push({ text: `Row colours (${theme.mode === 'none' ? 'NO_COLOR: shown by bold, underline and reverse' : theme.mode + ' colours'})`, attr: heading });
  for (const [cls, meaning] of theme.legend) {
    out.push({ text: `  ${meaning}`, attr: theme.rows[cls] });
  }
  out.push({ text: '', attr: PLAIN });
  out.push({ text: 'Colours follow NO_COLOR (https://no-color.org) and the terminal; TCPWATCH_COLORS=256|16|none overrides.', attr: theme.help });
  out.push({ text: 'Esc or q closes this help.', attr: theme.help });
  return out;
}
