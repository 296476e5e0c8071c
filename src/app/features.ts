// Everything the tcpwatch command is made of, registered when imported: the packet modules, live
// capture, the lab's subcommands and the UI. One line per feature; src/cli.ts imports this file once.
import '../packet-modules';
import './live';
import './lab-commands';
import '../ui/module';
