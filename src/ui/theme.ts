// Colours that carry meaning, for 256-colour terminals, 16-colour terminals and NO_COLOR. Each row
// class (src/store/rows.ts) gets one attribute; without colour, bold, underline and reverse still
// tell handshake, teardown, reset and Hello rows apart.

import { RowClass, ROW_CLASS_COUNT } from '../store/rows';
import { Side } from '../store/follow';
import { attr, BOLD, UNDERLINE, INVERSE, DEFAULT, PLAIN } from './widgets/paint';

export type ColorMode = '256' | '16' | 'none';

export interface Theme {
  mode: ColorMode;
  rows: number[];
  /** The chrome: bars, titles, prompt states. */
  status: number;
  statusAccent: number;
  title: number;
  titleFocused: number;
  prompt: number;
  promptValid: number;
  promptInvalid: number;
  promptErrorAt: number;
  follow: number[];
  hexHighlight: number;
  help: number;
  helpKey: number;
  dim: number;
  /** Legend lines for the help overlay: what each class looks like and means. */
  legend: [RowClass, string][];
}

export const LEGEND: [RowClass, string][] = [
  [RowClass.Handshake, 'SYN, SYN/ACK and the handshake\'s final ACK'],
  [RowClass.Teardown, 'FIN (connection teardown)'],
  [RowClass.Reset, 'RST (connection reset)'],
  [RowClass.BadTcp, 'retransmission, lost segment, dup ACK, zero window… (Wireshark\'s "Bad TCP")'],
  [RowClass.TlsHello, 'TLS Client Hello and Server Hello'],
  [RowClass.TlsHandshake, 'other TLS handshake records'],
  [RowClass.Tls, 'TLS application data, alerts, change cipher spec'],
  [RowClass.Data, 'TCP segment with data (PSH)'],
  [RowClass.Tcp, 'other TCP'],
  [RowClass.Udp, 'UDP'],
  [RowClass.Icmp, 'ICMP / ICMPv6'],
  [RowClass.Arp, 'ARP'],
  [RowClass.Malformed, 'malformed packet'],
];

function table(entries: [RowClass, number][]): number[] {
  const t = new Array<number>(ROW_CLASS_COUNT).fill(PLAIN);
  for (const [c, a] of entries) t[c] = a;
  return t;
}

// xterm-256 palette indices
const BLACK = 16, WHITE = 231;

function theme256(): Theme {
  return {
    mode: '256',
    rows: table([
      [RowClass.Handshake, attr(0, BLACK, 114)], // green family
      [RowClass.Teardown, attr(0, BLACK, 110)], // steel blue family
      [RowClass.Reset, attr(BOLD, 228, 124)], // yellow on dark red
      [RowClass.BadTcp, attr(0, BLACK, 203)], // Wireshark's bad TCP: black on red
      [RowClass.Malformed, attr(BOLD, BLACK, 203)],
      [RowClass.TlsHello, attr(BOLD, BLACK, 213)], // bright magenta: stands out from every other row
      [RowClass.TlsHandshake, attr(0, BLACK, 183)], // lavender
      [RowClass.Tls, attr(0, 183)],
      [RowClass.Data, attr(0, 117)],
      [RowClass.Tcp, PLAIN],
      [RowClass.Udp, attr(0, 152)],
      [RowClass.Icmp, attr(0, 222)],
      [RowClass.Arp, attr(0, 187)],
    ]),
    status: attr(0, WHITE, 238),
    statusAccent: attr(BOLD, 229, 238),
    title: attr(0, 252, 236),
    titleFocused: attr(BOLD, WHITE, 25),
    prompt: attr(0, WHITE, 236),
    promptValid: attr(0, BLACK, 151),
    promptInvalid: attr(BOLD, WHITE, 160),
    promptErrorAt: attr(BOLD | UNDERLINE, 228, 88),
    follow: [attr(0, 210), attr(0, 117), attr(BOLD, 250)],
    hexHighlight: attr(BOLD, BLACK, 179),
    help: attr(0, 252, 235),
    helpKey: attr(BOLD, 229, 235),
    dim: attr(0, 244),
    legend: LEGEND,
  };
}

// ANSI 16: 0 black 1 red 2 green 3 yellow 4 blue 5 magenta 6 cyan 7 white, 8-15 bright
function theme16(): Theme {
  return {
    mode: '16',
    rows: table([
      [RowClass.Handshake, attr(0, 0, 10)],
      [RowClass.Teardown, attr(0, 0, 14)],
      [RowClass.Reset, attr(BOLD, 11, 1)],
      [RowClass.BadTcp, attr(0, 0, 9)],
      [RowClass.Malformed, attr(BOLD, 0, 9)],
      [RowClass.TlsHello, attr(BOLD, 15, 5)],
      [RowClass.TlsHandshake, attr(0, 0, 13)],
      [RowClass.Tls, attr(0, 13)],
      [RowClass.Data, attr(0, 14)],
      [RowClass.Tcp, PLAIN],
      [RowClass.Udp, attr(0, 12)],
      [RowClass.Icmp, attr(0, 11)],
      [RowClass.Arp, attr(0, 3)],
    ]),
    status: attr(0, 0, 7),
    statusAccent: attr(BOLD, 0, 7),
    title: attr(0, 0, 7),
    titleFocused: attr(BOLD, 15, 4),
    prompt: attr(0, 15, 0),
    promptValid: attr(0, 0, 2),
    promptInvalid: attr(BOLD, 15, 1),
    promptErrorAt: attr(BOLD | UNDERLINE, 11, 1),
    follow: [attr(0, 9), attr(0, 12), attr(BOLD, DEFAULT)],
    hexHighlight: attr(BOLD, 0, 3),
    help: attr(0, 15, 0),
    helpKey: attr(BOLD, 11, 0),
    dim: attr(0, 8),
    legend: LEGEND,
  };
}

// Attributes only: what colour says, weight and lines say.
function themeNone(): Theme {
  return {
    mode: 'none',
    rows: table([
      [RowClass.Handshake, attr(BOLD)],
      [RowClass.Teardown, attr(UNDERLINE)],
      [RowClass.Reset, attr(BOLD | UNDERLINE)],
      [RowClass.BadTcp, attr(BOLD | INVERSE)],
      [RowClass.Malformed, attr(BOLD | INVERSE)],
      [RowClass.TlsHello, attr(INVERSE)],
    ]),
    status: attr(INVERSE),
    statusAccent: attr(INVERSE | BOLD),
    title: attr(UNDERLINE),
    titleFocused: attr(INVERSE | BOLD),
    prompt: attr(UNDERLINE),
    promptValid: attr(UNDERLINE),
    promptInvalid: attr(INVERSE | BOLD),
    promptErrorAt: attr(BOLD | UNDERLINE),
    follow: [attr(0), attr(BOLD), attr(UNDERLINE)],
    hexHighlight: attr(INVERSE),
    help: PLAIN,
    helpKey: attr(BOLD),
    dim: PLAIN,
    legend: LEGEND,
  };
}

/**
 * The theme for this terminal: NO_COLOR (any non-empty value, https://no-color.org) turns colour
 * off; otherwise the terminal's colour count decides (TCPWATCH_COLORS=256|16|none overrides).
 */
export function chooseTheme(terminalColors: number, env: NodeJS.ProcessEnv = process.env): Theme {
  const forced = env.TCPWATCH_COLORS;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return themeNone();
  if (forced === 'none') return themeNone();
  if (forced === '16') return theme16();
  if (forced === '256') return theme256();
  if (terminalColors >= 256) return theme256();
  if (terminalColors >= 8) return theme16();
  return themeNone();
}

export function followAttr(t: Theme, side: Side): number {
  return t.follow[side];
}

/** What the stream graph draws, in the order a cell shows it when several meet there (higher wins). */
export const enum GraphLayer {
  Ack = 0,
  Window = 1,
  Sack = 2,
  Data = 3,
  Retransmission = 4,
}

/** The stream graph's colours by GraphLayer; without colour, retransmissions are reversed and SACK underlined. */
export function graphAttrs(t: Theme): number[] {
  if (t.mode === '256') return [attr(0, 114), attr(0, 179), attr(0, 213), attr(0, 117), attr(BOLD, 196)];
  if (t.mode === '16') return [attr(0, 10), attr(0, 11), attr(0, 13), attr(0, 14), attr(BOLD, 9)];
  return [PLAIN, PLAIN, attr(UNDERLINE), PLAIN, attr(BOLD | INVERSE)];
}
