// Wireshark's "HTML Form URL Encoded" (urlencoded-form, packet-http-urlencoded.c): a message body of
// media type application/x-www-form-urlencoded (an HTML form's POST), shown one item per
// `key=value` pair, keys and values with their percent escapes and '+' undone. The protocol that
// carries the body (HTTP) offers it with `offerUrlencodedForm`; it stands in frame.protocols after
// that protocol and writes neither column (HTTP's Info already names the media type).
//
// Offering a body costs a string comparison; its pairs are only found when a view asks for them,
// once per frame, in a loop bounded by the body's length, and at most MAX_ITEMS become items.

import { Dissection, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

/** The media type Wireshark's media_type table hands to urlencoded-form. */
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';
/** Pairs a frame's tree holds at most. */
const MAX_ITEMS = 10000;
const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;

class UrlencodedFormLayer {
  frame = -1;
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  end = 0;
  /** The pairs found when a view first asks (itemsFrame is the frame they are of). */
  itemsFrame = -1;
  /** Per pair: where it starts, where its '=' is (-1 for none) and where it ends, before its '&'. */
  readonly itemOff: number[] = [];
  readonly equalsAt: number[] = [];
  readonly itemEnd: number[] = [];
}

export const urlencodedForm = registerProtocol({
  name: 'urlencoded-form',
  label: 'HTML Form URL Encoded',
  makeLayer: () => new UrlencodedFormLayer(),
  // Reached only through offerUrlencodedForm: no table names it.
  decode: () => Proto.None,
  namesNoColumns: true,
});

/**
 * Offer a body to urlencoded-form: taken (true) when its media type (lower case, without
 * parameters) is a form's and it has bytes. `layerOff` is where the layer stands in the frame.
 */
export function offerUrlencodedForm(d: Dissection, buf: Buffer, off: number, end: number, media: string, layerOff: number): boolean {
  if (end <= off || media !== FORM_MEDIA_TYPE || d.hasLayer(urlencodedForm.id)) return false;
  const l = urlencodedForm.layer(d);
  l.frame = d.number;
  l.buf = buf;
  l.off = off;
  l.end = end;
  l.itemsFrame = -1;
  d.pushLayer(urlencodedForm.id, layerOff);
  return true;
}

function layerOf(d: Dissection): UrlencodedFormLayer | null {
  if (!d.hasLayer(urlencodedForm.id)) return null;
  const l = urlencodedForm.layer(d);
  return l.frame === d.number ? l : null;
}

/** The body's pairs, split at each '&' and at the first '=' of each. */
function itemsOf(d: Dissection): UrlencodedFormLayer | null {
  const l = layerOf(d);
  if (l === null || l.itemsFrame === d.number) return l;
  l.itemsFrame = d.number;
  l.itemOff.length = l.equalsAt.length = l.itemEnd.length = 0;
  for (let p = l.off; p < l.end && l.itemOff.length < MAX_ITEMS;) {
    let q = p, equals = -1;
    while (q < l.end && l.buf[q] !== AMPERSAND) {
      if (equals < 0 && l.buf[q] === EQUALS) equals = q;
      q++;
    }
    l.itemOff.push(p);
    l.equalsAt.push(equals);
    l.itemEnd.push(q);
    p = q + 1;
  }
  return l;
}

const hexValue = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

/** A key or value as the form meant it: '+' is a space, %XX the byte XX (a '%' without two hex digits stays). */
function formText(buf: Buffer, off: number, end: number): string {
  const out = Buffer.allocUnsafe(end - off);
  let n = 0;
  for (let p = off; p < end; p++) {
    const c = buf[p];
    if (c === PLUS) out[n++] = 0x20;
    else if (c === PERCENT && p + 2 < end && hexValue(buf[p + 1]) >= 0 && hexValue(buf[p + 2]) >= 0) {
      out[n++] = hexValue(buf[p + 1]) * 16 + hexValue(buf[p + 2]);
      p += 2;
    } else out[n++] = c;
  }
  return out.toString('utf8', 0, n);
}

const keyEnd = (l: UrlencodedFormLayer, i: number): number => (l.equalsAt[i] >= 0 ? l.equalsAt[i] : l.itemEnd[i]);
const keyText = (l: UrlencodedFormLayer, i: number): string => formText(l.buf, l.itemOff[i], keyEnd(l, i));
const valueText = (l: UrlencodedFormLayer, i: number): string => (l.equalsAt[i] >= 0 ? formText(l.buf, l.equalsAt[i] + 1, l.itemEnd[i]) : '');
const itemCount = (d: Dissection): number => itemsOf(d)?.itemOff.length ?? 0;

defineField({
  name: 'urlencoded-form', label: 'HTML Form URL Encoded', shortName: 'URL Encoded Form Data', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'urlencoded-form',
  count: (d) => (layerOf(d) !== null ? 1 : 0),
  heading: () => `HTML Form URL Encoded: ${FORM_MEDIA_TYPE}`, text: () => `HTML Form URL Encoded: ${FORM_MEDIA_TYPE}`,
  range: (d, _i, o) => { const l = layerOf(d)!; return o.set(l.buf, l.off, l.end - l.off); },
});
defineField({
  name: '_text.urlencoded-form.item', label: 'Form item', type: FT.None, proto: 'urlencoded-form', textNode: true, count: itemCount,
  heading: (d, i) => { const l = itemsOf(d)!; return `Form item: "${keyText(l, i)}" = "${valueText(l, i)}"`; },
  // the item's bytes run through the '&' that ends it
  range: (d, i, o) => { const l = itemsOf(d)!; return o.set(l.buf, l.itemOff[i], Math.min(l.itemEnd[i] + 1, l.end) - l.itemOff[i]); },
});
defineField({
  name: 'urlencoded-form.key', label: 'Key', type: FT.String, ftype: 'FT_STRINGZ', proto: 'urlencoded-form', count: itemCount,
  parent: '_text.urlencoded-form.item', parentOf: (_d, i) => i,
  text: (d, i) => keyText(itemsOf(d)!, i),
  range: (d, i, o) => { const l = itemsOf(d)!; return o.set(l.buf, l.itemOff[i], keyEnd(l, i) - l.itemOff[i]); },
});
/** The pairs that have a value (an '='), by their index among all pairs. */
function nthWithValue(d: Dissection, i: number): number {
  const l = itemsOf(d)!;
  for (let k = 0; k < l.itemOff.length; k++) if (l.equalsAt[k] >= 0 && i-- === 0) return k;
  return -1;
}
defineField({
  name: 'urlencoded-form.value', label: 'Value', type: FT.String, ftype: 'FT_STRINGZ', proto: 'urlencoded-form',
  count: (d) => { const l = itemsOf(d); let n = 0; if (l !== null) for (const e of l.equalsAt) if (e >= 0) n++; return n; },
  parent: '_text.urlencoded-form.item', parentOf: nthWithValue,
  text: (d, i) => valueText(itemsOf(d)!, nthWithValue(d, i)),
  range: (d, i, o) => { const l = itemsOf(d)!, k = nthWithValue(d, i); return o.set(l.buf, l.equalsAt[k] + 1, l.itemEnd[k] - l.equalsAt[k] - 1); },
});
