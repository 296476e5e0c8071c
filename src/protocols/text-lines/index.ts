// Wireshark's "Line-based text data" (data-text-lines, packet-text-media.c): a message body whose
// media type names a line-based text format, shown one text item per line, each with its line
// end. The protocol that carries the body (HTTP, HTTP/2) offers it with `offerTextLines`; the body
// stands in frame.protocols after that protocol and heads its own subtree, "Line-based text data:
// text/html (9 lines)": at the top of the tree after HTTP's, inside the HTTP/2 frame that ends the
// body. It writes neither column (the carrier already adds the media type to Info).
//
// Offering a body costs a media-type lookup; its lines are only found when a view asks for them,
// once per frame, in a loop bounded by the body's length. At most MAX_LINE_ITEMS lines of a frame
// become items, so that a body of millions of short lines cannot make a tree of millions of
// nodes; the heading still counts every line, as tshark's does.

import { Dissection, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

/** Media types Wireshark's media_type table hands to data-text-lines. */
const TEXT_MEDIA_TYPES = new Set([
  'text/plain', 'text/richtext', 'text/enriched', 'text/parameters', 'text/html', 'text/xml-external-parsed-entity',
  'text/css', 'application/xml-external-parsed-entity', 'text/javascript', 'application/x-javascript',
  'application/x-tia-p25-issi', 'application/x-tia-p25-sndcp', 'application/x-ns-proxy-autoconfig',
  'text/vnd.sun.j2me.app-descriptor', 'application/vnd.poc.refer-to', 'application/vnd.drm.message',
  'application/x-wms-logplaystats', 'application/x-rtsp-udp-packetpair',
]);
/** Bodies kept per frame (pipelined responses in one segment). */
const MAX_BODIES = 16;
/** Line items a frame's tree holds at most; the lines past it are counted, not shown. */
export const MAX_LINE_ITEMS = 10000;
/** A body longer than this that starts "<?xml" is XML's (packet-text-media.c: shorter is never XML). */
const XML_MIN_LEN = 38;

export class TextLinesLayer {
  frame = -1;
  count = 0;
  readonly buf: Buffer[] = [];
  readonly off: number[] = [];
  readonly end: number[] = [];
  readonly media: string[] = [];
  /** The protocol whose tree holds each body's ('' at the top of the tree), and which instance of it. */
  readonly withinProto: string[] = [];
  readonly withinInstance: number[] = [];
  /** The lines found when a view first asks (linesFrame is the frame they are of). */
  linesFrame = -1;
  /** Per body: its line count, and the first of its items in lineOff/lineEnd. */
  readonly lineCount: number[] = [];
  readonly firstItem: number[] = [];
  readonly itemBody: number[] = [];
  readonly lineOff: number[] = [];
  readonly lineEnd: number[] = [];
}

export const textLines = registerProtocol({
  name: 'data-text-lines',
  label: 'Line-based text data',
  makeLayer: () => new TextLinesLayer(),
  // Reached only through offerTextLines: no table names it.
  decode: () => Proto.None,
  namesNoColumns: true,
});

/** Whether the body [off, end) of media type `media` (lower case, without parameters) is shown as text lines. */
export function isTextLinesBody(buf: Buffer, off: number, end: number, media: string): boolean {
  if (end <= off || !TEXT_MEDIA_TYPES.has(media)) return false;
  return !(end - off > XML_MIN_LEN && buf.toString('latin1', off, off + 5).toLowerCase() === '<?xml');
}

/**
 * Offer a body to data-text-lines: taken (true) when its media type is a line-based text format
 * and it is not XML. `layerOff` is where the layer stands in the frame for the layer stack; a
 * carrier that holds the body's tree in its own (HTTP/2's frame) names itself and its instance.
 */
export function offerTextLines(d: Dissection, buf: Buffer, off: number, end: number, media: string, layerOff: number, withinProto = '', withinInstance = 0): boolean {
  if (!isTextLinesBody(buf, off, end, media)) return false;
  const l = textLines.layer(d);
  if (l.frame !== d.number) {
    l.frame = d.number;
    l.count = 0;
    l.linesFrame = -1;
  }
  if (l.count >= MAX_BODIES) return false;
  const k = l.count++;
  l.buf[k] = buf;
  l.off[k] = off;
  l.end[k] = end;
  l.media[k] = media;
  l.withinProto[k] = withinProto;
  l.withinInstance[k] = withinInstance;
  if (!d.hasLayer(textLines.id)) d.pushLayer(textLines.id, layerOff);
  return true;
}

function layerOf(d: Dissection): TextLinesLayer | null {
  if (!d.hasLayer(textLines.id)) return null;
  const l = textLines.layer(d);
  return l.frame === d.number ? l : null;
}

/**
 * The frame's lines as Wireshark's tvb_find_line_end cuts them: each ends after "\r\n", a lone
 * "\r" or "\n"; the last runs to the body's end without one.
 */
function linesOf(d: Dissection): TextLinesLayer | null {
  const l = layerOf(d);
  if (l === null || l.linesFrame === d.number) return l;
  l.linesFrame = d.number;
  l.lineOff.length = l.lineEnd.length = l.itemBody.length = 0;
  for (let k = 0; k < l.count; k++) {
    const b = l.buf[k], end = l.end[k];
    let lines = 0;
    l.firstItem[k] = l.lineOff.length;
    for (let p = l.off[k]; p < end;) {
      let q = p;
      while (q < end && b[q] !== 0x0a && b[q] !== 0x0d) q++;
      if (q < end) q += b[q] === 0x0d && q + 1 < end && b[q + 1] === 0x0a ? 2 : 1;
      if (l.lineOff.length < MAX_LINE_ITEMS) {
        l.lineOff.push(p);
        l.lineEnd.push(q);
        l.itemBody.push(k);
      }
      lines++;
      p = q;
    }
    l.lineCount[k] = lines;
  }
  return l;
}

/** Bytes of a line the tree shows: a label keeps 240 bytes, and escaping at most quadruples one. */
const SHOWN_LINE_BYTES = 1024;

/**
 * A line as Wireshark's format_text shows it: printable ASCII and UTF-8 as they are, the C escapes
 * for \a \b \f \n \r \t \v, other control bytes in octal; invalid UTF-8 becomes U+FFFD.
 */
export function lineText(buf: Buffer, off: number, end: number): string {
  const text = buf.toString('utf8', off, Math.min(end, off + SHOWN_LINE_BYTES));
  let s = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f) { s += text[i]; continue; }
    switch (c) {
      case 0x07: s += '\\a'; break;
      case 0x08: s += '\\b'; break;
      case 0x0c: s += '\\f'; break;
      case 0x0a: s += '\\n'; break;
      case 0x0d: s += '\\r'; break;
      case 0x09: s += '\\t'; break;
      case 0x0b: s += '\\v'; break;
      default: s += '\\' + c.toString(8).padStart(3, '0');
    }
  }
  return s;
}

/** The heading of body i's subtree, which -T fields also prints for the protocol. */
function heading(d: Dissection, i: number): string {
  const l = linesOf(d);
  if (l === null || i >= l.count) return '';
  const n = l.lineCount[i];
  let s = `Line-based text data: ${l.media[i]} (${n} lines)`; // "1 lines" too, as tshark writes it
  const shown = (i + 1 < l.count ? l.firstItem[i + 1] : l.lineOff.length) - l.firstItem[i];
  if (shown < n) s += ` [${n - shown} lines not shown]`;
  return s;
}

defineField({
  name: 'data-text-lines', label: 'Line-based text data', shortName: 'Line-based text data', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'data-text-lines',
  count: (d) => layerOf(d)?.count ?? 0,
  heading,
  text: heading,
  range: (d, i, o) => { const l = layerOf(d); return l !== null && i < l.count && o.set(l.buf[i], l.off[i], l.end[i] - l.off[i]); },
  nestIn: (d, i) => { const l = layerOf(d); return l === null || i >= l.count || l.withinProto[i] === '' ? null : [l.withinProto[i], l.withinInstance[i]]; },
});
defineField({
  name: '_text.data-text-lines.line', label: 'Line', type: FT.None, proto: 'data-text-lines', textNode: true,
  count: (d) => linesOf(d)?.lineOff.length ?? 0,
  instanceOf: (d, i) => linesOf(d)?.itemBody[i] ?? 0,
  heading: (d, i) => { const l = linesOf(d); if (l === null || i >= l.lineOff.length) return ''; return lineText(l.buf[l.itemBody[i]], l.lineOff[i], l.lineEnd[i]); },
  range: (d, i, o) => { const l = linesOf(d); return l !== null && i < l.lineOff.length && o.set(l.buf[l.itemBody[i]], l.lineOff[i], l.lineEnd[i] - l.lineOff[i]); },
});
