// The field registry against tshark 4.0's (tshark -G fields): every field tcpwatch registers under a
// name tshark knows has a type of the same kind, and every integer field declares tshark's width,
// which display filters enforce ("99999" too big for this field, maximum 65535).
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { have } from './helpers/system';
import '../src/app/features';
import { allFields, FT } from '../src/fields/registry';

const KIND: Record<number, RegExp> = {
  [FT.UInt]: /^FT_(U?INT\d+|FRAMENUM|BOOLEAN)$/,
  [FT.Int]: /^FT_U?INT\d+$/,
  [FT.Hex]: /^FT_U?INT\d+$/,
  [FT.Bool]: /^FT_(BOOLEAN|U?INT\d+)$/,
  [FT.IPv4]: /^FT_IPv4$/,
  [FT.IPv6]: /^FT_IPv6$/,
  [FT.Ether]: /^FT_ETHER$/,
};

test('integer fields declare tshark\'s width, and fields tshark knows are of its kind', { skip: have('tshark') ? false : 'needs tshark' }, () => {
  const list = execFileSync('tshark', ['-G', 'fields'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  const types = new Map<string, string>();
  for (const line of list.split('\n')) {
    const c = line.split('\t');
    if (c[0] === 'F') types.set(c[2], c[3]);
  }
  const wrong: string[] = [];
  let checked = 0;
  for (const f of allFields()) {
    const theirs = types.get(f.name);
    if (theirs === undefined) continue;
    const kind = KIND[f.type];
    if (kind !== undefined && !kind.test(theirs)) wrong.push(`${f.name}: tshark ${theirs}, tcpwatch type ${f.type}`);
    const width = /^FT_U?INT(\d+)$/.exec(theirs);
    if (width !== null && (f.type === FT.UInt || f.type === FT.Int || f.type === FT.Hex)) {
      checked++;
      if (f.valueBits !== Number(width[1])) wrong.push(`${f.name}: tshark ${theirs}, tcpwatch valueBits ${f.valueBits}`);
    }
  }
  assert.ok(checked >= 100, `integer fields checked: ${checked}`);
  assert.deepEqual(wrong, []);
});
