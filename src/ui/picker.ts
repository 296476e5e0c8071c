// The interface picker: started on a terminal with neither -i nor -r, as Wireshark's welcome screen.
// It lists the interfaces tcpwatch can capture on (as -D does) with their addresses and how many
// packets each has carried since the picker opened (the kernel's counters, read every second:
// nothing is captured to count them), and takes a capture filter; Enter starts the live UI.

import * as fs from 'node:fs';
import { screen } from './widgets/blessed-core';
import type { KeyEvent } from 'blessed';
import { CaptureInterface } from '../capture/interfaces';
import { sanitizeText } from '../output/sanitize';
import { chooseTheme } from './theme';
import { VirtualList } from './widgets/virtual-list';
import { Bar } from './widgets/bar';
import { fit } from './widgets/paint';

const COUNT_MS = 1000;

/** Packets the kernel counted on an interface (received and sent), or null where it keeps none (any, pseudo-devices). */
function kernelPackets(name: string): number | null {
  if (name === '' || name.includes('/') || name === '.' || name === '..') return null;
  try {
    const rx = Number(fs.readFileSync(`/sys/class/net/${name}/statistics/rx_packets`, 'utf8'));
    const tx = Number(fs.readFileSync(`/sys/class/net/${name}/statistics/tx_packets`, 'utf8'));
    return rx + tx;
  } catch {
    return null;
  }
}

/** Let the user choose; resolves to the interface and capture filter, or null when they leave (Esc, Ctrl-C). */
export function pickInterface(list: CaptureInterface[], initialFilter: string): Promise<{ iface: string; filter: string } | null> {
  const s = screen({ smartCSR: true, fullUnicode: false, forceUnicode: true, warnings: false, autoPadding: false, sendFocus: false });
  (s.tput as unknown as { brokenACS: boolean }).brokenACS = true;
  const theme = chooseTheme(s.tput.colors);
  const start = list.map((i) => kernelPackets(i.name));
  const now = start.slice();
  let filter = initialFilter;
  const title = new Bar({ parent: s, top: 0, left: 0, width: '100%', height: 1 });
  title.fillAttr = theme.titleFocused;
  title.segments = [{ text: ' tcpwatch \u2014 choose an interface to capture on', attr: theme.titleFocused }];
  const nameW = Math.min(24, Math.max(9, ...list.map((i) => i.name.length)));
  const rows = new VirtualList({
    count: () => list.length,
    header: () => `${'Interface'.padEnd(nameW)} ${'Packets'.padStart(9)}  State     Addresses`,
    row: (k) => {
      const i = list[k];
      const n = start[k] === null || now[k] === null ? '\u2014' : String(now[k]! - start[k]!);
      const state = i.up === null ? '' : i.up ? (i.running ? 'up' : 'up, no link') : 'down';
      return { text: `${fit(sanitizeText(i.name), nameW)} ${n.padStart(9)}  ${state.padEnd(9)} ${sanitizeText(i.addresses.join(' ') || i.description)}`, attr: theme.rows[0] };
    },
  }, { parent: s, top: 1, left: 0, width: '100%', height: Math.max(3, s.height - 3), gutter: true });
  rows.selectedAttr = theme.selected;
  rows.markerAttr = theme.marker;
  rows.focused = true;
  const prompt = new Bar({ parent: s, bottom: 1, left: 0, width: '100%', height: 1 });
  prompt.fillAttr = theme.prompt;
  const help = new Bar({ parent: s, bottom: 0, left: 0, width: '100%', height: 1 });
  help.fillAttr = theme.status;
  help.segments = [{ text: ' \u2191\u2193 choose  type a capture filter (BPF)  Enter: capture  Esc: quit', attr: theme.status }];
  // Start on the first interface that is up and not loopback, as Wireshark lists busy ones first.
  const first = list.findIndex((i) => i.up === true && !i.loopback);
  rows.select(Math.max(0, first));
  const draw = (): void => {
    prompt.segments = [{ text: ' Capture filter: ', attr: theme.prompt }, { text: sanitizeText(filter) + '\u2588', attr: theme.promptValid }];
    s.render();
  };
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      list.forEach((i, k) => (now[k] = kernelPackets(i.name)));
      draw();
    }, COUNT_MS);
    const done = (v: { iface: string; filter: string } | null): void => {
      clearInterval(timer);
      s.destroy();
      resolve(v);
    };
    s.on('resize', () => {
      rows.el.height = Math.max(3, s.height - 3);
      draw();
    });
    s.on('keypress', (ch: string | undefined, key: KeyEvent | undefined) => {
      const name = key?.full ?? '';
      if (name === 'C-c' || name === 'escape') return done(null);
      if (name === 'enter') return done(list.length > 0 ? { iface: list[rows.selected].name, filter: filter.trim() } : null);
      if (name === 'return') return; // blessed follows it with 'enter'
      if (name === 'down') rows.move(1);
      else if (name === 'up') rows.move(-1);
      else if (name === 'backspace') filter = filter.slice(0, -1);
      else if (name === 'C-u') filter = '';
      else if (ch !== undefined && ch.length === 1 && ch >= ' ' && ch !== '\x7f' && !key?.ctrl && !key?.meta) filter += ch;
      draw();
    });
    draw();
  });
}
