// Feature modules that register fields, analyzers, hooks or subcommands when imported.
// One line per module; cli.ts imports this file once.
import './fields';
import './filter';
import './capture/live-cli';
import './lab/commands';
import './tls/analyzer';
import './tls/decrypt-analyzer';
import './fields/verdict'; // stream verdicts: the analysis stage and its tcpwatch.stream.* fields
import './ui/module';
