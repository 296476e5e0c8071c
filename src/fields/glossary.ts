// How each registered field is typed in tshark's terms (`tshark -G fields`): the type name
// (FT_UINT16, FT_IPv4 …), the display base and the bit mask, worked out from the one declaration.

import { FieldDef, FT, getField } from './registry';

/** Whether a field is a protocol (its own name, or one Wireshark registers as a protocol under a field's name). */
export function isProtocol(f: FieldDef): boolean {
  return f.ftype === 'FT_PROTOCOL' || (f.name === f.proto && f.type === FT.None);
}

export function tsharkType(f: FieldDef): string {
  if (f.ftype !== undefined) return f.ftype;
  if (isProtocol(f)) return 'FT_PROTOCOL';
  switch (f.type) {
    case FT.UInt:
    case FT.Hex:
      return `FT_UINT${f.valueBits ?? 32}`;
    case FT.Int:
      return `FT_INT${f.valueBits ?? 32}`;
    case FT.Bool: return 'FT_BOOLEAN';
    case FT.Double: return 'FT_DOUBLE';
    case FT.AbsTime: return 'FT_ABSOLUTE_TIME';
    case FT.RelTime: return 'FT_RELATIVE_TIME';
    case FT.IPv4: return 'FT_IPv4';
    case FT.IPv6: return 'FT_IPv6';
    case FT.Ether: return 'FT_ETHER';
    case FT.Bytes: return 'FT_BYTES';
    case FT.String: return 'FT_STRING';
    default: return 'FT_NONE';
  }
}

/**
 * tshark 4.0's number for each type (epan/ftypes/ftypes.h, enum ftenum), which -T jsonraw and the
 * _raw arrays of -T json -x print as a field's type.
 */
const FTENUM_4_0: readonly string[] = [
  'FT_NONE', 'FT_PROTOCOL', 'FT_BOOLEAN', 'FT_CHAR', 'FT_UINT8', 'FT_UINT16', 'FT_UINT24', 'FT_UINT32', 'FT_UINT40', 'FT_UINT48',
  'FT_UINT56', 'FT_UINT64', 'FT_INT8', 'FT_INT16', 'FT_INT24', 'FT_INT32', 'FT_INT40', 'FT_INT48', 'FT_INT56', 'FT_INT64',
  'FT_IEEE_11073_SFLOAT', 'FT_IEEE_11073_FLOAT', 'FT_FLOAT', 'FT_DOUBLE', 'FT_ABSOLUTE_TIME', 'FT_RELATIVE_TIME', 'FT_STRING',
  'FT_STRINGZ', 'FT_UINT_STRING', 'FT_ETHER', 'FT_BYTES', 'FT_UINT_BYTES', 'FT_IPv4', 'FT_IPv6', 'FT_IPXNET', 'FT_FRAMENUM',
  'FT_GUID', 'FT_OID', 'FT_EUI64', 'FT_AX25', 'FT_VINES', 'FT_REL_OID', 'FT_SYSTEM_ID', 'FT_STRINGZPAD', 'FT_FCWWN', 'FT_STRINGZTRUNC',
];
const FTENUM_NUMBER = new Map(FTENUM_4_0.map((name, k) => [name, k]));

/** The field's type as tshark 4.0 numbers it (FT_UINT16 = 5). */
export function ftenumNumber(f: FieldDef): number {
  return FTENUM_NUMBER.get(tsharkType(f)) ?? 0;
}

/** The display base column: a boolean's bit width (0 without a mask), BASE_HEX or BASE_DEC for integers, nothing otherwise. */
export function displayBase(f: FieldDef): string {
  const t = tsharkType(f);
  if (t === 'FT_BOOLEAN') return String(f.mask !== undefined ? f.bitWidth ?? 8 : 0);
  if (/^FT_U?INT\d+$/.test(t)) return f.oui === true ? 'BASE_OUI' : f.type === FT.Hex ? 'BASE_HEX' : 'BASE_DEC';
  return '';
}

export function bitmask(f: FieldDef): string {
  return `0x${(f.mask ?? 0).toString(16)}`;
}

/** tshark's long name of a protocol: the one its field declares, else its tree heading. */
export function protocolLongName(f: FieldDef): string {
  return f.longName ?? f.label;
}

/** tshark's short name of the protocol `name`: the one its field declares, else the filter name in capitals. */
export function protocolShortName(name: string): string {
  return getField(name)?.shortName ?? name.toUpperCase();
}
