// Colours that carry meaning, for 256-colour terminals, 16-colour terminals and NO_COLOR. With
// colour, rows take their colouring rule's colours mapped to the palette (ruleAttr); without, each
// row class (src/store/rows.ts) gets an attribute: bold, underline and reverse still tell
// handshake, teardown, reset and Hello rows apart.

import { RowClass, ROW_CLASS_COUNT } from '../store/rows';
import { Side } from '../store/follow';
import { Rgb16 } from '../store/colour-rules';
import { attr, BOLD, UNDERLINE, INVERSE, DEFAULT, PLAIN, withFlags, flagsOf } from './widgets/paint';

export type ColorMode = '256' | '16' | 'none';

export interface Theme {
  mode: ColorMode;
  /** Row attributes by row class: the packet list's without colour, where colouring rules cannot show; the conversations table's reset rows. */
  rows: number[];
  /** The selected row's attribute, from its own. */
  selected: (rowAttr: number) => number;
  /** The selection marker in the list's first column. */
  marker: number;
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

// With colour, rows take the colouring rules' colours (share/colorfilters, --colors); the selected
// row keeps them and adds bold and underline, which no rule sets, so it shows on every row colour.
const colourSelection = (a: number): number => withFlags(a, flagsOf(a) | BOLD | UNDERLINE);

function theme256(): Theme {
  return {
    mode: '256',
    // Row colours come from the rules; the conversations table marks a reset connection in bold.
    rows: table([[RowClass.Reset, attr(BOLD)]]),
    selected: colourSelection,
    marker: attr(BOLD, 226, DEFAULT),
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
    // Row colours come from the rules; the conversations table marks a reset connection in bold.
    rows: table([[RowClass.Reset, attr(BOLD)]]),
    selected: colourSelection,
    marker: attr(BOLD, 11, DEFAULT),
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

// Attributes only: what colour says, weight and lines say. Reverse video with bold and underline
// together is the selection's alone, so the selected row is never mistaken for a Hello or a reset.
function themeNone(): Theme {
  return {
    mode: 'none',
    rows: table([
      [RowClass.Handshake, attr(BOLD)],
      [RowClass.Teardown, attr(UNDERLINE)],
      [RowClass.Reset, attr(BOLD | UNDERLINE)],
      [RowClass.BadTcp, attr(UNDERLINE | INVERSE)],
      [RowClass.Malformed, attr(BOLD | INVERSE)],
      [RowClass.TlsHello, attr(INVERSE)],
    ]),
    selected: () => attr(BOLD | UNDERLINE | INVERSE),
    marker: attr(BOLD),
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

// ---------------------------------------------------------------- rule colours on the palette

/** 8-bit channels of a rule's 16-bit ones. */
const to8 = (c: Rgb16): [number, number, number] => [c[0] >> 8, c[1] >> 8, c[2] >> 8];

// The xterm-256 colour cube's levels, and its grey ramp (232 + k: 8 + 10k).
const CUBE = [0, 95, 135, 175, 215, 255];

/** The xterm-256 index nearest to an 8-bit colour (cube or grey ramp; 0-15 vary by terminal theme). */
export function xterm256(r: number, g: number, b: number): number {
  const level = (v: number): number => {
    let best = 0;
    for (let k = 1; k < 6; k++) if (Math.abs(CUBE[k] - v) < Math.abs(CUBE[best] - v)) best = k;
    return best;
  };
  const lr = level(r), lg = level(g), lb = level(b);
  const dist = (x: number, y: number, z: number): number => (x - r) ** 2 + (y - g) ** 2 + (z - b) ** 2;
  let best = 16 + 36 * lr + 6 * lg + lb;
  let bestD = dist(CUBE[lr], CUBE[lg], CUBE[lb]);
  for (let k = 0; k < 24; k++) {
    const v = 8 + 10 * k, d = dist(v, v, v);
    if (d < bestD) {
      bestD = d;
      best = 232 + k;
    }
  }
  return best;
}

/**
 * The ANSI colour (0-15) of an 8-bit colour, by hue: nearest distance would send every pastel
 * background of a rules file to white or grey, so a colour with a clear hue keeps it (bright when
 * light) and only the nearly grey ones become black, grey or white.
 */
export function ansi16(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b), min = Math.min(r, g, b);
  const light = (max + min) / 510;
  if (max - min < 64) return light < 0.2 ? 0 : light < 0.45 ? 8 : light < 0.8 ? 7 : 15;
  let hue: number;
  if (max === r) hue = (60 * (g - b) / (max - min) + 360) % 360;
  else if (max === g) hue = 120 + 60 * (b - r) / (max - min);
  else hue = 240 + 60 * (r - g) / (max - min);
  // ANSI order: red 1, yellow 3, green 2, cyan 6, blue 4, magenta 5, each 60° of hue wide
  const sector = [1, 3, 2, 6, 4, 5][Math.floor(((hue + 30) % 360) / 60)];
  return light >= 0.5 ? sector + 8 : sector;
}

/** A colouring rule's row attribute on this theme's palette (none without colour). */
export function ruleAttr(t: Theme, bg: Rgb16, fg: Rgb16): number {
  if (t.mode === 'none') return PLAIN;
  const pick = t.mode === '256' ? xterm256 : ansi16;
  return attr(0, pick(...to8(fg)), pick(...to8(bg)));
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
