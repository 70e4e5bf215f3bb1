import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreRuleMeanings } from '@aigc-label/core';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { toolPath, withTool } from '../../../test/oracles.js';
import { cli, jpeg, leftInSpool, PRODUCER, type Running, start, wav } from './helpers.js';

// Screenshots for people to look at (CI keeps them as artifacts); the folder is not committed.
const artifacts = join(import.meta.dirname, '..', '..', '..', 'test-artifacts');
const browserTest = withTool('chromium', 'drives the web page in a real browser');

let dir: string;
let server: Running;
let browser: Browser | null = null;
const hostileName = '<img src=x onerror=alert(1)>.jpg';

beforeAll(async () => {
  if (!toolPath('chromium')) return;
  dir = await mkdtemp(join(tmpdir(), 'aigc-service-page-'));
  await writeFile(join(dir, 'plain.jpg'), await jpeg('#70a288', 240));
  const labeled = await cli(['label', join(dir, 'plain.jpg'), '--producer', PRODUCER, '--no-explicit', '-o', join(dir, 'out')]);
  expect(labeled.code).toBe(0);
  await writeFile(join(dir, 'labeled.jpg'), await readFile(join(dir, 'out', 'plain.jpg')));
  await writeFile(join(dir, hostileName), await jpeg('#f25c54', 64));
  await writeFile(join(dir, 'tone.wav'), wav(8_000));
  await writeFile(join(dir, 'misnamed.png'), await jpeg('#1d4e89', 48));
  await mkdir(artifacts, { recursive: true });
  server = await start({ token: 'page-test-token' });
  browser = await puppeteer.launch({
    executablePath: toolPath('chromium') as string,
    headless: true,
    // Root in CI: Chromium's sandbox needs an unprivileged user.
    args: ['--no-sandbox', '--lang=en-US'],
  });
});

afterAll(async () => {
  await browser?.close();
  if (!server) return;
  await server.close();
  await rm(server.parent, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

async function openPage(): Promise<{ page: Page; foreign: string[] }> {
  const page = await (browser as Browser).newPage();
  await page.setViewport({ width: 1000, height: 1400 });
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(server.url) && !url.startsWith('blob:') && !url.startsWith('data:')) foreign.push(url);
  });
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  return { page, foreign };
}

/** The text of each result card's parts, as rendered. */
const cards = (page: Page) =>
  page.$$eval('#results article', (articles) =>
    articles.map((a) => ({
      name: a.querySelector('h2')?.textContent ?? '',
      outcome: a.querySelector('.outcome')?.textContent ?? '',
      prompt: a.querySelector('[data-role="prompt"]')?.textContent ?? null,
      producer: a.querySelector('[data-field="ContentProducer"]')?.textContent ?? null,
      previewWidth: (a.querySelector('.preview img') as unknown as { naturalWidth: number } | null)?.naturalWidth ?? 0,
      elementsInName: a.querySelector('h2')?.children.length ?? -1,
    })),
  );

describe('the web page', () => {
  browserTest(
    'checks a labeled and an unlabeled upload and shows outcome, prompt, fields and preview, in English and Chinese',
    async () => {
      const { page, foreign } = await openPage();
      expect(await page.$eval('html', (html) => html.lang)).toBe('en');
      const input = await page.$('#files');
      await input?.uploadFile(join(dir, 'labeled.jpg'), join(dir, 'plain.jpg'), join(dir, hostileName));
      // (Functions passed as text run in the page, where the DOM is.)
      await page.waitForFunction("document.querySelectorAll('#results article .outcome').length === 3", { timeout: 20_000 });
      await page.waitForFunction("[...document.querySelectorAll('.preview img')].every((img) => img.naturalWidth > 0)");
      const [labeled, plain, hostile] = await cards(page);
      expect(labeled).toMatchObject({ name: 'labeled.jpg', prompt: '人工智能生成', producer: PRODUCER, previewWidth: 240 });
      expect(labeled.outcome).toContain('Labeled as AI-generated');
      expect(labeled.outcome).toMatch(/^⚠/);
      expect(plain).toMatchObject({ name: 'plain.jpg', prompt: null, producer: null, previewWidth: 240 });
      expect(plain.outcome).toContain('No AI label found');
      // A file name with markup is text, never HTML.
      expect(hostile).toMatchObject({ name: hostileName, elementsInName: 0 });
      expect(await page.$$eval('#results img', (imgs) => imgs.length)).toBe(3);
      await page.screenshot({ path: join(artifacts, 'service-page-en.png'), fullPage: true });

      // The language switch is a button reachable from the keyboard.
      await page.focus('#lang');
      await page.keyboard.press('Enter');
      expect(await page.$eval('html', (html) => html.lang)).toBe('zh-CN');
      const zh = await cards(page);
      expect(zh[0].outcome).toContain('已标识为人工智能生成');
      expect(zh[1].outcome).toContain('未发现人工智能生成标识');
      await page.screenshot({ path: join(artifacts, 'service-page-zh.png'), fullPage: true });
      expect(foreign).toEqual([]);
      await page.close();
      expect(await leftInSpool(server.parent)).toEqual([]);
    },
  );

  browserTest('previews audio with a player', async () => {
    const { page } = await openPage();
    const input = await page.$('#files');
    await input?.uploadFile(join(dir, 'tone.wav'));
    await page.waitForSelector('#results article .preview audio[controls]', { timeout: 20_000 });
    expect(await page.$eval('#results article .outcome', (p) => p.textContent)).toContain('No AI label found');
    await page.close();
  });

  browserTest('shows each finding with the text of its rule', async () => {
    const { page } = await openPage();
    const input = await page.$('#files');
    await input?.uploadFile(join(dir, 'misnamed.png'));
    await page.waitForSelector('#results article .outcome', { timeout: 20_000 });
    const findings = await page.$$eval('#results article li', (items) => items.map((li) => li.textContent ?? ''));
    const mismatch = findings.find((text) => text.includes('format/extension-mismatch'));
    expect(mismatch).toMatch(/^Warning · format\/extension-mismatch: the extension \.png says PNG but the content is JPEG/);
    expect(await page.$eval('#results article li .meaning', (m) => m.textContent)).toBe(coreRuleMeanings['format/extension-mismatch']);
    await page.close();
  });

  browserTest('every control has a label, and the label form shows when the server has label routes', async () => {
    const { page } = await openPage();
    const unlabelled = await page.$$eval('input, select, button', (controls) =>
      controls
        .filter((c) => {
          const labels = (c as unknown as { labels: ArrayLike<unknown> | null }).labels;
          return !(labels && labels.length > 0) && !c.getAttribute('aria-label') && !(c.textContent ?? '').trim();
        })
        .map((c) => c.id),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.$eval('#label-form', (form) => (form as unknown as { hidden: boolean }).hidden)).toBe(false);
    // Keyboard only: Tab reaches the language switch and the file picker.
    const reached = new Set<string>();
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      reached.add(String(await page.evaluate('document.activeElement?.id ?? ""')));
    }
    expect([...reached]).toEqual(expect.arrayContaining(['lang', 'files', 'declared', 'ocr']));
    await page.close();
  });

  browserTest('labels a file through the form with the token and offers the labeled file', async () => {
    const { page } = await openPage();
    await page.type('#token', 'page-test-token');
    await page.type('#producer', PRODUCER);
    const input = await page.$('#label-file');
    await input?.uploadFile(join(dir, 'plain.jpg'));
    await page.click('#label-form button[type="submit"]');
    await page.waitForSelector('#label-result a[download]', { timeout: 20_000 });
    expect(await page.$eval('#label-result a', (a) => (a as unknown as { download: string }).download)).toBe('plain.labeled.jpg');
    await page.screenshot({ path: join(artifacts, 'service-page-label.png'), fullPage: true });
    await page.close();
  });
});
