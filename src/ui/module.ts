// The UI as a feature module: sets hooks.ui, which the command line calls on a terminal when no
// headless option was given. blessed and the UI code load only then, so headless runs stay lean.

import { hooks, MainOptions, addCommands } from '../hooks';

addCommands((program) => {
  program.option('--osc52', 'UI: y copies to the terminal\'s clipboard with OSC 52 when no file is named (tmux: set -g set-clipboard on)');
  program.option('--colors <file>', 'UI: colouring rules in Wireshark\'s colorfilters format (a file, or a Wireshark profile directory); default: the colorfilters of the profile (-C) if it has one, else tcpwatch\'s own, share/colorfilters');
});

hooks.ui = async (opts: MainOptions, captureFilter: string | undefined): Promise<void> => {
  if (opts.readFile !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { runFileUi } = require('./run') as typeof import('./run');
    await runFileUi(opts, captureFilter);
    return;
  }
  if (opts.interface === undefined) {
    // Neither -i nor -r: the user picks the interface (and a capture filter) rather than tcpwatch
    // capturing on a default one unasked.
    /* eslint-disable @typescript-eslint/no-var-requires */
    const { loadCap } = require('../capture/cap-binding') as typeof import('../capture/cap-binding');
    const { captureInterfaces } = require('../capture/interfaces') as typeof import('../capture/interfaces');
    const { pickInterface } = require('./picker') as typeof import('./picker');
    /* eslint-enable @typescript-eslint/no-var-requires */
    const cap = loadCap();
    const chosen = await pickInterface(captureInterfaces(cap.Cap.deviceList()), captureFilter ?? '');
    if (chosen === null) return;
    opts.interface = chosen.iface;
    captureFilter = chosen.filter === '' ? undefined : chosen.filter;
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { runLiveUi } = require('./live-ui') as { runLiveUi(o: MainOptions, f: string | undefined): Promise<void> };
  await runLiveUi(opts, captureFilter);
};
