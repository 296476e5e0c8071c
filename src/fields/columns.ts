// The packet-list columns as fields (_ws.col.*), so `-T fields -e _ws.col.Info` and filters see
// exactly what the list shows.

import { defineField, FT } from './registry';
import { shownFrameNumber } from './frame-numbers';
import { sourceColumn, destinationColumn, protocolColumn, infoColumn } from '../output/summary';
import { timeColumn, timeDigits } from '../output/time-format';

const always = (): number => 1;
defineField({ name: '_ws.col.No.', label: 'No.', type: FT.UInt, proto: '_ws.col', count: always, num: (d) => shownFrameNumber(d.number) });
defineField({ name: '_ws.col.Time', label: 'Time', type: FT.String, proto: '_ws.col', count: always, text: (d) => timeColumn(d, timeDigits()) });
defineField({ name: '_ws.col.Source', label: 'Source', type: FT.String, proto: '_ws.col', count: always, text: sourceColumn });
defineField({ name: '_ws.col.Destination', label: 'Destination', type: FT.String, proto: '_ws.col', count: always, text: destinationColumn });
defineField({ name: '_ws.col.Protocol', label: 'Protocol', type: FT.String, proto: '_ws.col', count: always, text: protocolColumn });
defineField({ name: '_ws.col.Info', label: 'Info', type: FT.String, proto: '_ws.col', count: always, text: (d) => infoColumn(d) });
