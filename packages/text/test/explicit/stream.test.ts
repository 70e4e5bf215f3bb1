import { concat, fromUtf8, UsageError, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { labelByteStream, labelTextStream } from '../../src/explicit/stream.js';

async function* chunks<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

/** Splits `bytes` at every given offset, including ones inside a multibyte character. */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    parts.push(bytes.subarray(from, cut));
    from = cut;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

describe('labelTextStream', () => {
  it('passes chunks through unchanged and adds the label at the start and end', async () => {
    const source = ['你好', '，这是', '回答。'];
    const out = await collect(labelTextStream(chunks(source), { start: true, end: true }));
    expect(out).toEqual(['本内容由人工智能生成\n\n', '你好', '，这是', '回答。', '\n\n本内容由人工智能生成']);
  });

  it('emits the start label before the source yields anything', async () => {
    let pulled = false;
    async function* slow() {
      pulled = true;
      yield 'x';
    }
    const stream = labelTextStream(slow(), { start: true });
    const first = await stream.next();
    expect(first.value).toBe('本内容由人工智能生成\n\n');
    expect(pulled).toBe(false);
  });

  it('counts the text’s own trailing line breaks towards the separator', async () => {
    expect((await collect(labelTextStream(chunks(['a\n'])))).join('')).toBe('a\n\n本内容由人工智能生成');
    expect((await collect(labelTextStream(chunks(['a\r\n\r\n'])))).join('')).toBe('a\r\n\r\n本内容由人工智能生成');
  });

  it('does not add an end label when the model already ended with one, even split across chunks', async () => {
    const source = ['回答正文。\n\n本内', '容由', 'A', 'I生', '成'];
    expect(await collect(labelTextStream(chunks(source)))).toEqual(source);
  });

  it('still adds the end label after a long text that mentions AI generation in prose', async () => {
    const prose = 'AI行业的生成式模型研究仍是热点。'.repeat(200);
    const out = await collect(labelTextStream(chunks([...prose])));
    expect(out.at(-1)).toBe('\n\n本内容由人工智能生成');
    expect(out.slice(0, -1).join('')).toBe(prose);
  });

  it('passes a surrogate pair split across two chunks through untouched', async () => {
    const source = ['地球', '\ud83c', '\udf0f', '。'];
    const out = await collect(labelTextStream(chunks(source)));
    expect(out.slice(0, -1)).toEqual(source);
    expect(out.join('')).toBe('地球🌏。\n\n本内容由人工智能生成');
  });

  it('labels an empty stream once', async () => {
    expect(await collect(labelTextStream(chunks([]), { start: true, end: true }))).toEqual(['本内容由人工智能生成\n\n']);
  });

  it('refuses a stream with no label position and custom wording without the elements', async () => {
    await expect(labelTextStream(chunks(['x']), { end: false }).next()).rejects.toBeInstanceOf(UsageError);
    await expect(labelTextStream(chunks(['x']), { wording: 'AI' }).next()).rejects.toThrow(/generation element/);
  });
});

describe('labelByteStream', () => {
  it('passes bytes through even when chunks split multibyte characters', async () => {
    const text = '模型输出：你好，世界🌏。';
    const bytes = utf8(text);
    const parts = splitAt(bytes, [1, 2, 4, 5, 17, bytes.length - 6, bytes.length - 2]);
    const out = await collect(labelByteStream(chunks(parts), { start: true, symbol: true }));
    expect(out.slice(1, -1)).toEqual(parts);
    expect(fromUtf8(concat(out))).toBe(`【AI生成】\n\n${text}\n\n【AI生成】`);
  });

  it('sees a label split inside its multibyte characters at the end', async () => {
    const bytes = utf8('正文。\n本内容由AI生成');
    const parts = splitAt(bytes, [bytes.length - 5, bytes.length - 4, bytes.length - 1]);
    const out = await collect(labelByteStream(chunks(parts)));
    expect(concat(out)).toEqual(bytes);
  });
});
