// The two blessed classes tcpwatch's widgets are built from, loaded on their own: `require('blessed')`
// loads every widget blessed has (terminals, images, video …), a third of its start-up time, before
// the first screen can be drawn. The statistics view loads the rest (blessed-contrib) when opened.

import type * as Blessed from 'blessed';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const ScreenClass = require('blessed/lib/widgets/screen') as new (opts: Blessed.ScreenOptions) => Blessed.Screen;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const BoxClass = require('blessed/lib/widgets/box') as { new (opts: Blessed.ElementOptions): Blessed.Element; prototype: Blessed.Element };

export function screen(opts: Blessed.ScreenOptions): Blessed.Screen {
  return new ScreenClass(opts);
}

export function box(opts: Blessed.ElementOptions): Blessed.Element {
  return new BoxClass(opts);
}

/** blessed's own drawing of an element (borders, background); widgets draw their cells after it. */
export const baseRender: () => Blessed.Coords | undefined = BoxClass.prototype.render;
