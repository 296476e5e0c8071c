// Which colouring rules the packet list uses: tcpwatch's own (share/colorfilters, in Wireshark's
// colorfilters format) or the user's (--colors FILE, or a Wireshark profile directory holding a
// `colorfilters` file; without --colors, the profile's colorfilters when it has one: src/config/profile.ts), compiled
// with the display-filter compiler. Read before the screen opens,
// so a file that is missing or not in the format is one line on stderr and exit status 2.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { MainOptions, hooks } from '../hooks';
import { UsageError } from '../errors';
import { DisplayFilter } from '../pipeline';
import { ColourRule, ColourRulesError, parseColourRules } from '../store/colour-rules';
import { profileDir } from '../config/profile';

/** tcpwatch's default rules: share/ beside dist/ (this file runs as dist/src/ui/colours.js). */
export const DEFAULT_COLOUR_RULES = path.join(__dirname, '..', '..', '..', 'share', 'colorfilters');

export interface ColourRules {
  /** Where the rules came from, for the help. */
  file: string;
  /** The file's enabled rules, in order (compileColourRules keeps those tcpwatch can compile). */
  rules: ColourRule[];
}

export interface CompiledColourRules {
  /** The enabled rules whose filters compiled, in order; filters[k] is rules[k]'s. */
  rules: ColourRule[];
  filters: DisplayFilter[];
  /** Rules left out because tcpwatch cannot compile their filter: "name: reason". */
  skipped: string[];
}

/** The --colors value from the options (added by src/ui/module.ts). */
export function colourFileOption(opts: MainOptions): string | undefined {
  return (opts as MainOptions & { colors?: string }).colors;
}

/** The profile's own rules when --colors names none: its colorfilters, if there is one. */
function userColourRules(opts: MainOptions): string | undefined {
  const f = path.join(profileDir(opts.profile), 'colorfilters');
  return fs.existsSync(f) ? f : undefined;
}

export function loadColourRules(opts: MainOptions): ColourRules {
  const given = colourFileOption(opts) ?? userColourRules(opts);
  let file = given ?? DEFAULT_COLOUR_RULES;
  let text: string;
  try {
    if (given !== undefined && fs.statSync(file).isDirectory()) file = path.join(file, 'colorfilters');
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read colouring rules ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let all: ColourRule[];
  try {
    all = parseColourRules(text);
  } catch (e) {
    if (e instanceof ColourRulesError) throw new UsageError(`colouring rules ${file}, ${e.message}`);
    throw e;
  }
  return { file, rules: all.filter((r) => r.enabled) };
}

/**
 * Compile the rules' filters. Done once the first rows are on screen: the filters are only
 * needed to colour them, and compiling a dozen takes longer than drawing the first screen.
 */
export function compileColourRules(c: ColourRules): CompiledColourRules {
  const out: CompiledColourRules = { rules: [], filters: [], skipped: [] };
  const compile = hooks.compileRuleFilter;
  if (!compile) {
    out.skipped.push('display filters are not available in this build');
    return out;
  }
  for (const r of c.rules) {
    try {
      out.filters.push(compile(r.filter).filter);
      out.rules.push(r);
    } catch (e) {
      // As Wireshark does with a rule it cannot compile: the rule is switched off, the rest apply.
      out.skipped.push(`${r.name}: ${(e as Error).message}`);
    }
  }
  return out;
}
