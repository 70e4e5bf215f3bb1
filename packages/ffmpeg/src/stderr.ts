/**
 * What a tool wrote to stderr, kept within a bound (a damaged file can make ffmpeg print an
 * error per packet), and the few lines of it worth putting in an error message.
 */

// Enough for every line a run with `-v error` prints in practice (the video output checks read
// them all); beyond it only the last part is kept, which holds the cause of a failure.
const HEAD_BYTES = 1 << 20;
const TAIL_BYTES = 16 << 10;

export class StderrLog {
  private readonly head: Uint8Array[] = [];
  private headBytes = 0;
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private omittedBytes = 0;

  push(chunk: Uint8Array): void {
    let rest = chunk;
    if (this.headBytes < HEAD_BYTES) {
      const taken = rest.subarray(0, HEAD_BYTES - this.headBytes);
      this.head.push(taken);
      this.headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= TAIL_BYTES) {
      const dropped = this.tail.shift()!;
      this.tailBytes -= dropped.length;
      this.omittedBytes += dropped.length;
    }
  }

  text(): string {
    const decode = (parts: readonly Uint8Array[]) => {
      const decoder = new TextDecoder();
      return parts.map((part) => decoder.decode(part, { stream: true })).join('') + decoder.decode();
    };
    const omitted = this.omittedBytes > 0 ? `\n[${this.omittedBytes} bytes of stderr omitted]\n` : '';
    return decode(this.head) + omitted + decode(this.tail);
  }
}

// The build banner (`-hide_banner` absent) and the static build's Fontconfig complaints about
// Debian's config files say nothing about why a run failed.
const NOISE = [
  /^ff(mpeg|probe) version /,
  /^built with /,
  /^configuration: /,
  /^lib(avutil|avcodec|avformat|avdevice|avfilter|swscale|swresample|postproc)\s/,
  /^Fontconfig (warning|error)/,
  /^\[\d+ bytes of stderr omitted\]$/,
];
const MAX_LINE_CHARACTERS = 240;

/**
 * The last `count` meaningful lines of a tool's stderr on one line, joined by ` | `. Control
 * characters become `?`: the lines may quote a file's own metadata, which must not reach a
 * terminal raw.
 */
export function stderrTail(stderr: string, count = 3): string {
  return stderr
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !NOISE.some((pattern) => pattern.test(line)))
    .slice(-count)
    .map((line) => {
      const printable = line.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
      return printable.length > MAX_LINE_CHARACTERS ? `${printable.slice(0, MAX_LINE_CHARACTERS)}…` : printable;
    })
    .join(' | ');
}
