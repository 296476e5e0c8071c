// Which sink a headless run writes to, from the options: summary lines, details, fields, JSON, or
// one of the stream reports (--explain, --compare). Live capture and -r share it.

import { MainOptions, preferences } from '../hooks';
import { OutputBuffer } from '../output/stdout';
import { FieldsSink, JsonSink, PdmlSink, TextSink, Sink, parseFieldsOption, resolveFields, FieldsOptions, ProtocolMatch } from '../output/sinks';
import { UsageError } from '../errors';
import { ExplainSink, parseStreamOption } from '../reports/explain';
import { CompareSink } from '../reports/compare';
import { EkSink, PsmlSink } from '../output/export-sinks';
import { COLUMN_FORMAT_PREF, columnsFromPrefs } from '../output/column-format';

preferences.add(COLUMN_FORMAT_PREF);

export function makeSink(opts: MainOptions, out: OutputBuffer, timeDigits: () => number): Sink | null {
  const format = opts.outputFormat ?? 'text';
  if (opts.quiet) return null;
  if (opts.explain !== undefined) return new ExplainSink(out, parseStreamOption('--explain', opts.explain), timeDigits);
  if (opts.compare !== undefined) return new CompareSink(out, parseStreamOption('--compare', opts.compare), compareWidth());
  // As tshark: writing a file prints nothing unless -P asks for summaries too.
  if (opts.write !== undefined && !opts.print && opts.outputFormat === undefined && !opts.verbose && !opts.hex) return null;
  switch (format) {
    case 'text':
      return new TextSink(out, { details: !!opts.verbose, hex: !!opts.hex, summary: !!opts.print, timeDigits, columns: columnsFromPrefs(opts.pref ?? []) });
    case 'fields': {
      if (opts.field.length === 0) throw new UsageError('-T fields needs at least one -e FIELD');
      const fo: FieldsOptions = { header: false, separator: '\t', occurrence: 'a', aggregator: ',', quote: '' };
      for (const spec of opts.fieldOption) parseFieldsOption(fo, spec);
      return new FieldsSink(out, resolveFields(opts.field), fo);
    }
    case 'json':
    case 'ndjson':
    case 'jsonraw':
      return new JsonSink(out, {
        ndjson: format === 'ndjson', noDuplicateKeys: opts.duplicateKeys === false, only: opts.field.length ? resolveFields(opts.field) : undefined, match: protocolMatch(opts),
        // As tshark: jsonraw is the bytes alone; -x adds them to json's values.
        print: format === 'jsonraw' ? { values: false, raw: true } : { values: true, raw: format === 'json' && !!opts.hex },
      });
    case 'pdml':
      return new PdmlSink(out, opts.readFile ?? opts.interface ?? '');
    // ---- tshark's other export formats (src/output/export-sinks.ts) ----
    case 'ek':
      return new EkSink(out);
    case 'psml':
      return new PsmlSink(out, timeDigits);
    default:
      throw new UsageError(`unknown output format "${format}" for -T: use text, fields, json, jsonraw, ndjson, pdml, ek or psml`);
  }
}


/** -j / -J, as tshark: protocol names separated by spaces. */
function protocolMatch(opts: MainOptions): ProtocolMatch | undefined {
  const spec = opts.protocolMatchExpanded ?? opts.protocolMatch;
  if (spec === undefined) return undefined;
  const names = spec.split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0) throw new UsageError(`invalid -${opts.protocolMatchExpanded !== undefined ? 'J' : 'j'} "${spec}": name protocols, as "ip tcp"`);
  return { names: new Set(names), expand: opts.protocolMatchExpanded !== undefined };
}

/** --compare's width: the terminal's when it is one, else wide enough for 16 bytes per hex line beside the text. */
function compareWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? Math.max(80, process.stdout.columns) : 140;
}
