/** A one-line progress bar for terminals: counts, rate and ETA, redrawn at most 10 times a second. */
export class Progress {
  readonly #write: (text: string) => void;
  readonly #started = Date.now();
  #lastDraw = 0;
  #total = 0;
  #done = 0;
  #failed = 0;
  #totalKnown = false;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  discovered(total: number, final: boolean): void {
    this.#total = total;
    this.#totalKnown = final;
    this.#draw(false);
  }

  tick(failed: boolean): void {
    this.#done++;
    if (failed) this.#failed++;
    this.#draw(false);
  }

  finish(): void {
    this.#draw(true);
    this.#write('\n');
  }

  #draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    const rate = this.#done / seconds;
    const width = 24;
    const fraction = this.#total ? Math.min(1, this.#done / this.#total) : 0;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const eta = this.#totalKnown && rate > 0 ? ` ETA ${formatSeconds((this.#total - this.#done) / rate)}` : '';
    const failed = this.#failed ? ` ${this.#failed} failed` : '';
    this.#write(`\r[${bar}] ${this.#done}/${this.#total}${this.#totalKnown ? '' : '+'} ${rate.toFixed(0)} files/s${eta}${failed}\x1b[K`);
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${Math.round(seconds % 60)}s` : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}
