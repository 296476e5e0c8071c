// The help overlay: every key from keys.ts and what each row colour means, drawn in the colours
// themselves.

import { BINDINGS } from '../keys';
import { ListRow } from '../widgets/virtual-list';
import { Theme } from '../theme';
import { sanitizeText } from '../../output/sanitize';
import { PLAIN, attr, BOLD } from '../widgets/paint';

const WHERE_TITLES: Record<string, string> = {
  global: 'Everywhere',
  panes: 'Packet list, details and bytes panes',
  details: 'Details pane',
  views: 'Follow stream, compare, conversations, statistics, graphs, help',
};

/** `rules`: the colouring rules in use, each in its own colours, and the file they came from. */
export function helpLines(theme: Theme, rules: { file: string; rows: ListRow[] } | null = null): ListRow[] {
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
  if (theme.mode === 'none' || rules === null) {
    out.push({ text: `Row attributes (${theme.mode === 'none' ? 'NO_COLOR: shown by bold, underline and reverse' : 'no colouring rules'})`, attr: heading });
    for (const [cls, meaning] of theme.legend) {
      out.push({ text: `  ${meaning}`, attr: theme.rows[cls] });
    }
  } else {
    out.push({ text: `Colouring rules (${theme.mode} colours), the first that matches colours a row: ${sanitizeText(rules.file)}`, attr: heading });
    out.push(...rules.rows);
  }
  out.push({ text: `  the selected row: ${theme.mode === 'none' ? 'bold, underlined and reversed' : 'its colours, bold and underlined'}, with \u25b6 before it`, attr: theme.selected(PLAIN) });
  out.push({ text: '', attr: PLAIN });
  out.push({ text: 'Colours follow NO_COLOR (https://no-color.org) and the terminal; TCPWATCH_COLORS=256|16|none overrides.', attr: theme.help });
  out.push({ text: 'Esc or q closes this help.', attr: theme.help });
  return out;
}
