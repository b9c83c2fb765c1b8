/**
 * One owner of the terminal at a time. Live lines (the console reporter's spinner and progress
 * line) redraw themselves on a timer; a question drawn while they run is overwritten and the
 * responder sees only the spinner. A prompt therefore takes the screen for as long as it is
 * open: every live line stops and clears itself first, holds back what it would print, and
 * resumes (printing what it held) once the answer is in.
 */

/** Something that draws on the terminal by itself and can step aside for a prompt. */
export interface LiveLine {
  /** Stop redrawing, clear the line, hold back output until `resume`. */
  pause(): void;
  /** Print what was held back and redraw. */
  resume(): void;
}

export class Screen {
  private readonly lines = new Set<LiveLine>();
  private holds = 0;

  /** Register a live line; returns the function that unregisters it. */
  attach(line: LiveLine): () => void {
    this.lines.add(line);
    if (this.holds > 0) line.pause();
    return () => {
      this.lines.delete(line);
    };
  }

  /** True while a prompt owns the terminal. */
  get held(): boolean {
    return this.holds > 0;
  }

  /** Run `ask` with the terminal to itself (nested prompts, such as a checklist then a question, share the hold). */
  async prompt<T>(ask: () => Promise<T>): Promise<T> {
    if (this.holds++ === 0) for (const l of this.lines) l.pause();
    try {
      return await ask();
    } finally {
      if (--this.holds === 0) for (const l of this.lines) l.resume();
    }
  }
}

/** The process's terminal: the CLI's reporter and prompter meet here unless given their own. */
export const terminalScreen = new Screen();
