// `-G fields`, `-G protocols` and `-G values`: the field registry in tshark's tab-separated
// reports, one line per protocol, field or value name.

import { allFields, FieldDef, FT } from '../fields/registry';
import { isProtocol, tsharkType, displayBase, bitmask, protocolLongName, protocolShortName } from '../fields/glossary';
import { sanitizeText } from './sanitize';

// Labels are tcpwatch's own text, but a tab or newline in one would break the columns.
const cell = (s: string): string => sanitizeText(s).replace(/[\t\n]/g, ' ');

/** P lines for protocols, F lines (label, name, type, protocol, base, mask, description) for fields. */
export function fieldsGlossary(fields: readonly FieldDef[] = allFields()): string {
  let s = '';
  for (const f of fields) {
    if (isProtocol(f)) s += `P\t${cell(f.label)}\t${f.name}\n`;
    else s += `F\t${cell(f.label)}\t${f.name}\t${tsharkType(f)}\t${f.proto}\t${displayBase(f)}\t${bitmask(f)}\t\n`;
  }
  return s;
}

/** Long name, short name and filter name of each protocol. */
export function protocolsGlossary(fields: readonly FieldDef[] = allFields()): string {
  let s = '';
  for (const f of fields) if (isProtocol(f) && f.name === f.proto) s += `${cell(protocolLongName(f))}\t${protocolShortName(f.name)}\t${f.name}\n`;
  return s;
}

/** V lines (field, value, name) for value names, T lines (field, true text, false text) for flags that name theirs. */
export function valuesGlossary(fields: readonly FieldDef[] = allFields()): string {
  let s = '';
  for (const f of fields) {
    if (f.type === FT.Bool || f.ftype === 'FT_BOOLEAN') {
      // a flag's texts for set and not set, when the field names them
      const v = f.valueNames;
      if (v !== undefined && v[1] !== undefined && v[0] !== undefined) s += `T\t${f.name}\t${cell(v[1])}\t${cell(v[0])}\n`;
    } else if (f.valueNames !== undefined) {
      const hex = f.type === FT.Hex;
      for (const [k, v] of Object.entries(f.valueNames)) {
        const n = Number(k);
        s += `V\t${f.name}\t${hex ? `0x${n.toString(16)}` : n}\t${cell(v)}\n`;
      }
    }
  }
  return s;
}
