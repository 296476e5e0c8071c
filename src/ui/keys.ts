// Every key the UI answers to, in one table: dispatch reads it and the help overlay prints it, so
// the help can never leave a key out.

import type { KeyEvent } from 'blessed';

export type Action =
  | 'quit' | 'help' | 'filter' | 'clearFilter' | 'goto' | 'follow' | 'compare' | 'explain' | 'conversations' | 'stats' | 'time' | 'colour' | 'nameResolution'
  | 'find' | 'findNext' | 'findPrev' | 'mark' | 'nextMark' | 'prevMark' | 'timeRef' | 'related' | 'save' | 'switchTab' | 'scrollRight' | 'scrollLeft' | 'exportPayload'
  | 'nextPane' | 'prevPane' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last'
  | 'toggle' | 'expand' | 'collapse' | 'expandAll' | 'collapseAll' | 'close' | 'redraw' | 'activate'
  | 'applyColumn' | 'prevColumn' | 'nextColumn' | 'moveColumnLeft' | 'moveColumnRight' | 'narrowColumn' | 'widenColumn' | 'removeColumn' | 'copy'
  | 'bytesTab' | 'followMode' | 'followEncoding' | 'keylog' | 'decodeAs' | 'streamGraph' | 'endpoints' | 'prevTab' | 'sortNext' | 'sortReverse'
  | 'ioGraph' | 'ioAddLine' | 'ioRemoveLine' | 'ioShorter' | 'ioLonger' | 'ioUnit';

export interface Binding {
  keys: string[];
  /** How the help writes the keys. */
  shown: string;
  action: Action;
  help: string;
  /** Where the key works: everywhere, in the three panes, in a full-screen view. */
  where: 'global' | 'panes' | 'details' | 'views';
}

export const BINDINGS: Binding[] = [
  { keys: ['down', 'j'], shown: '\u2193 j', action: 'down', help: 'next packet / row / node', where: 'global' },
  { keys: ['up', 'k'], shown: '\u2191 k', action: 'up', help: 'previous packet / row / node', where: 'global' },
  { keys: ['pagedown'], shown: 'PgDn', action: 'pageDown', help: 'one page down', where: 'global' },
  { keys: ['pageup'], shown: 'PgUp', action: 'pageUp', help: 'one page up', where: 'global' },
  { keys: ['home', 'g'], shown: 'Home g', action: 'first', help: 'first packet', where: 'global' },
  { keys: ['end', 'G'], shown: 'End G', action: 'last', help: 'last packet (live: keep following new packets)', where: 'global' },
  { keys: [':', 'C-g'], shown: ': Ctrl-G', action: 'goto', help: 'go to packet number', where: 'panes' },
  { keys: ['/', 'f'], shown: '/ f', action: 'filter', help: 'display filter (Wireshark syntax); Enter applies, Esc cancels, \u2191\u2193 history', where: 'panes' },
  { keys: ['x'], shown: 'x', action: 'clearFilter', help: 'clear the display filter', where: 'panes' },
  { keys: ['R'], shown: 'R', action: 'nameResolution', help: 'names on/off in the packet list, as Wireshark\'s View \u2192 Name Resolution: MAC (ethers, manuf) and network (hosts files, -H)', where: 'panes' },
  { keys: ['T'], shown: 'T', action: 'time', help: 'time column: relative \u2192 absolute \u2192 delta \u2192 epoch', where: 'panes' },
  { keys: ['t', 'C-t'], shown: 't Ctrl-T', action: 'timeRef', help: 'time reference on/off: relative times count from it (*REF*)', where: 'panes' },
  // Wireshark's keys: Ctrl-F find, Ctrl-N / Ctrl-B next and previous match; n / N as in less and vi.
  { keys: ['C-f'], shown: 'Ctrl-F', action: 'find', help: 'find a packet: display filter, string (bytes, Protocol and Info), hex bytes or string in details (Tab: which)', where: 'panes' },
  { keys: ['n', 'C-n'], shown: 'n Ctrl-N', action: 'findNext', help: 'next packet the find matches', where: 'panes' },
  { keys: ['N', 'C-b'], shown: 'N Ctrl-B', action: 'findPrev', help: 'previous packet the find matches', where: 'panes' },
  { keys: ['m'], shown: 'm', action: 'mark', help: 'mark / unmark the packet (\u25cf)', where: 'panes' },
  { keys: [']'], shown: ']', action: 'nextMark', help: 'next marked packet', where: 'panes' },
  { keys: ['['], shown: '[', action: 'prevMark', help: 'previous marked packet', where: 'panes' },
  { keys: ['r'], shown: 'r', action: 'related', help: 'go to the related packet: the ACKed segment, the RTO\'s original, the dup ACK\'s ACK, the DNS or ICMP request', where: 'panes' },
  { keys: ['C-s', 'W'], shown: 'Ctrl-S W', action: 'save', help: 'save all, displayed, marked or a range of packets as pcap or pcapng (Tab: which)', where: 'panes' },
  { keys: ['c'], shown: 'c', action: 'colour', help: 'colouring rules on/off (--colors FILE: Wireshark colorfilters)', where: 'panes' },
  { keys: ['tab'], shown: 'Tab', action: 'nextPane', help: 'next pane (list, details, bytes)', where: 'panes' },
  { keys: ['S-tab'], shown: 'Shift-Tab', action: 'prevPane', help: 'previous pane', where: 'panes' },
  // blessed reports Enter twice ('return', then 'enter' for the same \r): only 'enter' is bound.
  { keys: ['enter', 'space'], shown: 'Enter Space', action: 'activate', help: 'details: open/close node; conversations: filter to the stream', where: 'global' },
  { keys: ['right', 'l'], shown: '\u2192 l', action: 'expand', help: 'details: open node', where: 'details' },
  { keys: ['left', 'h'], shown: '\u2190 h', action: 'collapse', help: 'details: close node (or go to its parent)', where: 'details' },
  { keys: ['e'], shown: 'e', action: 'expandAll', help: 'details: open all nodes', where: 'details' },
  { keys: ['w'], shown: 'w', action: 'collapseAll', help: 'details: close all nodes', where: 'details' },
  // Wireshark's Apply as Column (Ctrl-Shift-I there): A, in the details pane where the field is.
  { keys: ['A'], shown: 'A', action: 'applyColumn', help: 'details: add the selected field as a column of the packet list (kept in the profile)', where: 'details' },
  { keys: ['<'], shown: '<', action: 'prevColumn', help: 'pick the previous column (its title in [brackets]) for the column keys', where: 'panes' },
  { keys: ['>'], shown: '>', action: 'nextColumn', help: 'pick the next column', where: 'panes' },
  { keys: ['{'], shown: '{', action: 'moveColumnLeft', help: 'move the picked column left', where: 'panes' },
  { keys: ['}'], shown: '}', action: 'moveColumnRight', help: 'move the picked column right', where: 'panes' },
  { keys: ['-'], shown: '-', action: 'narrowColumn', help: 'make the picked column narrower', where: 'panes' },
  { keys: ['+', '='], shown: '+ =', action: 'widenColumn', help: 'make the picked column wider', where: 'panes' },
  { keys: ['delete'], shown: 'Delete', action: 'removeColumn', help: 'remove the picked column', where: 'panes' },
  // y as in vi's yank.
  { keys: ['y'], shown: 'y', action: 'copy', help: 'copy the field\'s value, the packet\'s summary or hex dump (Tab) to a file, or to the clipboard (--osc52)', where: 'panes' },
  { keys: ['F'], shown: 'F', action: 'follow', help: 'follow the stream of the selected packet (decrypted TLS when a key log opens it, else TCP)', where: 'panes' },
  // m in a view is the view's own (in the packet list it marks): dispatch looks views' keys up apart from the panes'.
  { keys: ['m'], shown: 'm', action: 'followMode', help: 'follow: the next of TLS (decrypted), HTTP (messages) and TCP (wire bytes) the stream has; stream graph: the other direction', where: 'views' },
  // Wireshark's Follow dialog names it "Show data as": a for as.
  { keys: ['a'], shown: 'a', action: 'followEncoding', help: 'follow: show the bytes as ASCII, hex (tshark\'s follow hex dump) or raw hex, in turn', where: 'views' },
  { keys: ['b'], shown: 'b', action: 'bytesTab', help: 'bytes pane: switch between the frame and its decrypted TLS records', where: 'panes' },
  // Wireshark and termshark give their stream graphs no key, g is "first packet" and T the time format: P for plot.
  { keys: ['P'], shown: 'P', action: 'streamGraph', help: 'TCP stream graph (tcptrace): sequence numbers over time, ACKs, receive window, SACK, retransmissions', where: 'panes' },
  // Wireshark's Statistics › I/O Graph; I for I/O, free in Wireshark's and termshark's keys alike.
  { keys: ['I'], shown: 'I', action: 'ioGraph', help: 'I/O graph: packets or bytes per interval over the capture, a line per display filter (the first: the display filter in use)', where: 'panes' },
  { keys: ['K'], shown: 'K', action: 'keylog', help: 'load or reload a TLS key log file (SSLKEYLOGFILE) and read the capture again with it', where: 'panes' },
  // Wireshark's Analyze > Decode As; d is free in tshark's letters too (-d), but D keeps it apart from the panes' lower-case keys.
  { keys: ['D'], shown: 'D', action: 'decodeAs', help: 'decode as: give the selected packet\'s TCP or UDP port to a protocol (tcp.port==8989,http) and read the capture again', where: 'panes' },
  { keys: ['X'], shown: 'X', action: 'explain', help: 'explain the TCP stream: a client/server ladder with a sentence for each packet', where: 'panes' },
  { keys: ['E'], shown: 'E', action: 'compare', help: 'compare the stream\'s wire bytes (TLS records) with their plaintext, and its verdict (also on a conversation)', where: 'panes' },
  { keys: ['C'], shown: 'C', action: 'conversations', help: 'conversations: TCP with verdict and entropy; Ethernet, IPv4, IPv6, UDP on Tab (Enter filters to one)', where: 'panes' },
  // Wireshark gives Statistics › Endpoints no key; E is compare, and H (hosts) is free.
  { keys: ['H'], shown: 'H', action: 'endpoints', help: 'endpoints: each address (and port) with the packets and bytes it sent and received; Ethernet, IPv4, IPv6, TCP, UDP on Tab', where: 'panes' },
  { keys: ['S'], shown: 'S', action: 'stats', help: 'statistics dashboard', where: 'panes' },
  { keys: ['right', 'l'], shown: '\u2192 l', action: 'scrollRight', help: 'scroll right: the columns or the rest of lines wider than the screen; I/O graph: the next interval', where: 'views' },
  { keys: ['left', 'h'], shown: '\u2190 h', action: 'scrollLeft', help: 'scroll back left; I/O graph: the previous interval', where: 'views' },
  // Wireshark's graph list adds and removes graphs with its + and - buttons.
  { keys: ['+'], shown: '+', action: 'ioAddLine', help: 'I/O graph: add a line, counting what a display filter shows', where: 'views' },
  { keys: ['-'], shown: '-', action: 'ioRemoveLine', help: 'I/O graph: remove the line added last', where: 'views' },
  { keys: ['<'], shown: '<', action: 'ioShorter', help: 'I/O graph: a shorter interval (1 ms, 10 ms, 100 ms, 1 s, 10 s, 1 min, 10 min)', where: 'views' },
  { keys: ['>'], shown: '>', action: 'ioLonger', help: 'I/O graph: a longer interval', where: 'views' },
  { keys: ['u'], shown: 'u', action: 'ioUnit', help: 'I/O graph: packets or bytes per interval (Wireshark\'s Y axis unit)', where: 'views' },
  { keys: ['C-s', 'W'], shown: 'Ctrl-S W', action: 'exportPayload', help: 'follow: save what the view shows: the bytes in ASCII, the hex lines in hex or raw (both sides in order, or one; Tab: which)', where: 'views' },
  { keys: ['tab'], shown: 'Tab', action: 'switchTab', help: 'conversations, endpoints: next tab (Ethernet, IPv4, IPv6, TCP, UDP); stream graph: next graph (tcptrace, throughput, RTT, window, delay)', where: 'views' },
  { keys: ['S-tab'], shown: 'Shift-Tab', action: 'prevTab', help: 'conversations, endpoints: the previous tab', where: 'views' },
  { keys: ['s'], shown: 's', action: 'sortNext', help: 'conversations, endpoints: sort by the next column (numbers largest first; after the last, the table\'s own order)', where: 'views' },
  { keys: ['r'], shown: 'r', action: 'sortReverse', help: 'conversations, endpoints: reverse the sort', where: 'views' },
  { keys: ['escape', 'q'], shown: 'Esc q', action: 'close', help: 'in a view or this help: back to the packet list', where: 'views' },
  { keys: ['?'], shown: '?', action: 'help', help: 'this help', where: 'global' },
  { keys: ['C-l'], shown: 'Ctrl-L', action: 'redraw', help: 'redraw the screen', where: 'global' },
  { keys: ['q'], shown: 'q', action: 'quit', help: 'quit (with -w: after the file is flushed; a live capture not saved asks first)', where: 'panes' },
  { keys: ['C-c'], shown: 'Ctrl-C', action: 'quit', help: 'quit from anywhere', where: 'global' },
];

/** The key as the table names it: the character for printable keys, blessed's name otherwise. */
export function keyId(ch: string | undefined, key: KeyEvent | undefined): string {
  if (ch !== undefined && ch.length === 1 && ch > ' ' && ch !== '\x7f') return ch;
  return key?.full ?? '';
}

export function actionFor(id: string, where: Binding['where'][]): Action | null {
  for (const b of BINDINGS) if (b.keys.includes(id) && where.includes(b.where)) return b.action;
  return null;
}
