// The part of blessed (and blessed-contrib) that tcpwatch uses, typed. blessed ships no types; the
// widgets here draw straight into the screen's cell buffer, so little of its API is needed.

declare module 'blessed' {
  namespace blessed {
    /** A screen cell: attribute ((flags << 18) | (fg << 9) | bg) and character. */
    type Cell = [number, string];
    interface ScreenLine extends Array<Cell> {
      dirty: boolean;
    }
    interface Coords {
      xi: number;
      xl: number;
      yi: number;
      yl: number;
    }
    interface KeyEvent {
      name?: string;
      full: string;
      sequence?: string;
      ctrl: boolean;
      meta: boolean;
      shift: boolean;
    }
    interface MouseData {
      x: number;
      y: number;
      action: string;
      button?: string;
    }
    interface Position {
      top?: number | string;
      left?: number | string;
      width?: number | string;
      height?: number | string;
      right?: number | string;
      bottom?: number | string;
    }
    interface ElementOptions extends Position {
      parent?: Element | Screen;
      clickable?: boolean;
      tags?: boolean;
      content?: string;
      hidden?: boolean;
      style?: Record<string, unknown>;
      border?: Record<string, unknown> | string;
      label?: string;
      [key: string]: unknown;
    }
    interface Element {
      screen: Screen;
      hidden: boolean;
      position: Position;
      width: number;
      height: number;
      top: number | string;
      left: number | string;
      aleft: number;
      atop: number;
      lpos?: Coords;
      render(): Coords | undefined;
      show(): void;
      hide(): void;
      destroy(): void;
      detach(): void;
      setFront(): void;
      setContent(s: string): void;
      on(event: string, fn: (...args: any[]) => void): this;
      emit(event: string, ...args: unknown[]): boolean;
    }
    interface Tput {
      colors: number;
    }
    interface Program {
      tput: Tput;
      title: string;
      hideCursor(): void;
      showCursor(): void;
      flush(): void;
      /** Bytes straight to the terminal (after what blessed has buffered). */
      write(data: string): void;
    }
    interface ScreenOptions {
      smartCSR?: boolean;
      fastCSR?: boolean;
      fullUnicode?: boolean;
      forceUnicode?: boolean;
      warnings?: boolean;
      autoPadding?: boolean;
      dockBorders?: boolean;
      sendFocus?: boolean;
      input?: NodeJS.ReadableStream;
      output?: NodeJS.WritableStream;
      terminal?: string;
      [key: string]: unknown;
    }
    interface Screen {
      lines: ScreenLine[];
      width: number;
      height: number;
      tput: Tput;
      program: Program;
      dattr: number;
      render(): void;
      destroy(): void;
      enableMouse(): void;
      append(el: Element): void;
      key(keys: string | string[], fn: (ch: string, key: KeyEvent) => void): void;
      on(event: string, fn: (...args: any[]) => void): this;
      removeListener(event: string, fn: (...args: any[]) => void): this;
    }
    function screen(opts?: ScreenOptions): Screen;
    function box(opts?: ElementOptions): Element;
    function escape(text: string): string;
    const Box: { prototype: Element };
  }
  export = blessed;
}

declare module 'blessed-contrib' {
  import type * as blessed from 'blessed';
  namespace contrib {
    interface Widget extends blessed.Element {
      setData(data: unknown): void;
    }
    interface GridCell {
      set(row: number, col: number, rowSpan: number, colSpan: number, widget: unknown, opts: Record<string, unknown>): Widget;
    }
    class grid implements GridCell {
      constructor(opts: { rows: number; cols: number; screen: blessed.Screen | blessed.Element });
      set(row: number, col: number, rowSpan: number, colSpan: number, widget: unknown, opts: Record<string, unknown>): Widget;
    }
    const line: unknown;
    const bar: unknown;
    const table: unknown;
    const donut: unknown;
  }
  export = contrib;
}
