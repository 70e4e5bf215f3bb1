import { createHash } from 'node:crypto';

/**
 * The page at `/`: one self-contained document (no CDN, no web font, no request but to this
 * server's API), so it works offline and under a strict Content-Security-Policy. Everything that
 * comes from a file (names, label values, findings) is inserted with textContent, never as HTML.
 */
const style = `
:root { color-scheme: light dark; --ok: #0a6b2d; --warn: #8a5a00; --bad: #a4161a; --muted: #666; }
body { font: 16px/1.5 system-ui, sans-serif; max-width: 64rem; margin: 0 auto; padding: 1rem; }
header { display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap; }
h1 { font-size: 1.4rem; margin: 0; }
#drop { border: 2px dashed var(--muted); border-radius: 8px; padding: 1.5rem; text-align: center; margin: 1rem 0; }
#drop.over { border-style: solid; background: rgba(0, 120, 255, 0.08); }
fieldset { border: 1px solid var(--muted); border-radius: 6px; margin: 0.5rem 0; }
button, input, select { font: inherit; }
:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
article { border: 1px solid var(--muted); border-radius: 8px; padding: 1rem; margin: 1rem 0; }
article h2 { font-size: 1.1rem; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
.outcome { font-weight: bold; font-size: 1.1rem; padding: 0.5rem; border-left: 6px solid var(--muted); }
.outcome[data-outcome="confirmed"] { border-color: var(--bad); }
.outcome[data-outcome="possible"], .outcome[data-outcome="suspected"] { border-color: var(--warn); }
.outcome[data-outcome="none"] { border-color: var(--ok); }
.prompt { font-size: 1.3rem; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 0.15rem 0.6rem 0.15rem 0; vertical-align: top; overflow-wrap: anywhere; }
.preview img, .preview video { max-width: 100%; max-height: 320px; }
.error { color: var(--bad); }
.meaning { color: var(--muted); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

const script = `
'use strict';
const CONFIG = JSON.parse(document.getElementById('config').textContent);
const TEXT = {
  en: {
    title: 'AI-generated content label check', lang: '中文', langName: 'Switch to Chinese',
    drop: 'Drop files here, or choose them:', choose: 'Files to check', declared: 'The uploader declared the content AI-generated',
    ocr: 'Read visible labels in images (slow)', options: 'Options', results: 'Results', checking: 'Checking…',
    outcome: { confirmed: 'Labeled as AI-generated', possible: 'Possibly AI-generated', suspected: 'Suspected AI-generated', none: 'No AI label found' },
    icon: { confirmed: '⚠', possible: '⚠', suspected: '⚠', none: '✓' },
    prompt: 'Prompt the platform must show:', noPrompt: 'No prompt is required.', basis: 'Basis:',
    format: 'Format', fields: 'Label fields', evidence: 'Evidence', findings: 'Findings', none: 'none', preview: 'Preview',
    severity: { error: 'Error', warning: 'Warning', info: 'Note' }, failed: 'Could not check this file:',
    labelTitle: 'Label a file', token: 'Access token', producer: 'Producer code or name', labelValue: 'Label value',
    labelOptions: { '1': '1 confirmed', '2': '2 possible', '3': '3 suspected' }, labelFile: 'File to label', labelGo: 'Label and download',
    labelDone: 'Labeled: ', download: 'Download the labeled file',
  },
  zh: {
    title: '人工智能生成合成内容标识检查', lang: 'English', langName: '切换到英文',
    drop: '将文件拖放到此处，或选择文件：', choose: '要检查的文件', declared: '上传者已声明内容为人工智能生成',
    ocr: '识别图片中的显式标识（较慢）', options: '选项', results: '结果', checking: '正在检查…',
    outcome: { confirmed: '已标识为人工智能生成', possible: '可能为人工智能生成', suspected: '疑似人工智能生成', none: '未发现人工智能生成标识' },
    icon: { confirmed: '⚠', possible: '⚠', suspected: '⚠', none: '✓' },
    prompt: '平台应显示的提示：', noPrompt: '无需显示提示。', basis: '依据：',
    format: '格式', fields: '标识字段', evidence: '证据', findings: '检查发现', none: '无', preview: '预览',
    severity: { error: '错误', warning: '警告', info: '提示' }, failed: '无法检查此文件：',
    labelTitle: '为文件添加标识', token: '访问令牌', producer: '服务提供者编码或名称', labelValue: '标识值',
    labelOptions: { '1': '1 确定', '2': '2 可能', '3': '3 疑似' }, labelFile: '要标识的文件', labelGo: '添加标识并下载',
    labelDone: '已标识：', download: '下载已标识的文件',
  },
};
const FIELDS = ['Label', 'ContentProducer', 'ProduceID', 'ReservedCode1', 'ContentPropagator', 'PropagateID', 'ReservedCode2'];
let lang = (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
const checked = [];

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children || []) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}
const t = () => TEXT[lang];

function applyLanguage() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t().title;
  for (const node of document.querySelectorAll('[data-text]')) node.textContent = t()[node.dataset.text];
  const toggle = document.getElementById('lang');
  // The button names the other language in that language (its accessible name is what it shows).
  toggle.textContent = t().lang;
  toggle.lang = lang === 'zh' ? 'en' : 'zh-CN';
  toggle.title = t().langName;
  const select = document.getElementById('label-value');
  if (select) for (const option of select.options) option.textContent = t().labelOptions[option.value];
  const results = document.getElementById('results');
  results.replaceChildren();
  for (const item of checked) results.append(render(item));
}

function render(item) {
  const card = el('article', { 'aria-label': item.name });
  card.append(el('h2', {}, [item.name]));
  if (item.pending) {
    card.append(el('p', { role: 'status' }, [t().checking]));
    return card;
  }
  if (item.error) {
    card.append(el('p', { class: 'error', role: 'alert' }, [t().failed + ' ' + item.error]));
    return card;
  }
  const r = item.report;
  // The outcome is said in words and marked with a symbol; the border colour only repeats it.
  card.append(el('p', { class: 'outcome', 'data-outcome': r.outcome }, [t().icon[r.outcome] + ' ' + t().outcome[r.outcome]]));
  card.append(r.prompt ? el('p', { class: 'prompt' }, [t().prompt + ' ', el('strong', { 'data-role': 'prompt' }, [r.prompt])]) : el('p', {}, [t().noPrompt]));
  card.append(el('p', {}, [t().basis + ' ' + r.basis]), el('p', {}, [t().format + ': ' + r.format + ' (' + r.kind + ')']));
  card.append(el('h3', {}, [t().fields]));
  if (r.label) {
    const rows = FIELDS.map((f) => el('tr', {}, [el('th', { scope: 'row' }, [f]), el('td', { 'data-field': f }, [r.label[f] || '—'])]));
    card.append(el('table', {}, [el('tbody', {}, rows)]));
  } else card.append(el('p', {}, [t().none]));
  card.append(el('h3', {}, [t().evidence]));
  card.append(
    list(
      r.evidence.map((e) => [e.scheme + ' · ' + e.kind + ': ' + e.detail + (e.where ? ' (' + e.where + ')' : ''), CONFIG.meanings.evidence[e.kind]]),
    ),
  );
  card.append(el('h3', {}, [t().findings]));
  card.append(list(r.findings.map((f) => [(t().severity[f.severity] || f.severity) + ' · ' + f.rule + ': ' + f.message, CONFIG.meanings.rules[f.rule]])));
  card.append(el('h3', {}, [t().preview]));
  card.append(preview(item));
  return card;
}

/** Items of [what was found, what its rule or kind means]; the meaning on a line of its own. */
function list(items) {
  if (!items.length) return el('p', {}, [t().none]);
  return el('ul', {}, items.map(([line, meaning]) => el('li', {}, meaning ? [line, el('br'), el('small', { class: 'meaning' }, [meaning])] : [line])));
}

function preview(item) {
  const box = el('div', { class: 'preview' });
  const kind = item.report.kind;
  if (kind === 'image') box.append(el('img', { src: item.url, alt: t().preview + ': ' + item.name }));
  else if (kind === 'audio') box.append(el('audio', { src: item.url, controls: '', 'aria-label': item.name }));
  else if (kind === 'video') box.append(el('video', { src: item.url, controls: '', 'aria-label': item.name }));
  else box.append(el('p', {}, ['—']));
  return box;
}

async function check(files) {
  const query = new URLSearchParams();
  if (document.getElementById('declared').checked) query.set('declared', 'true');
  if (document.getElementById('ocr').checked) query.set('ocr', 'true');
  const results = document.getElementById('results');
  for (const file of files) {
    const item = { name: file.name, pending: true, url: URL.createObjectURL(file) };
    checked.push(item);
    results.append(render(item));
    try {
      const response = await fetch('/v1/verify?' + query, {
        method: 'POST',
        body: file,
        headers: { 'x-filename': encodeURIComponent(file.name), 'content-type': file.type || 'application/octet-stream' },
      });
      const body = await response.json();
      if (body.error) item.error = body.error.message;
      else item.report = body;
    } catch (error) {
      item.error = String(error);
    }
    item.pending = false;
  }
  applyLanguage();
  document.getElementById('results-heading').focus();
}

async function labelFile(event) {
  event.preventDefault();
  const out = document.getElementById('label-result');
  out.replaceChildren();
  const file = document.getElementById('label-file').files[0];
  if (!file) return;
  const query = new URLSearchParams({ producer: document.getElementById('producer').value, label: document.getElementById('label-value').value });
  const response = await fetch('/v1/label?' + query, {
    method: 'POST',
    body: file,
    headers: {
      authorization: 'Bearer ' + document.getElementById('token').value,
      'x-filename': encodeURIComponent(file.name),
      'content-type': file.type || 'application/octet-stream',
    },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({ error: { message: response.statusText } }));
    out.append(el('p', { class: 'error', role: 'alert' }, [t().failed + ' ' + body.error.message]));
    return;
  }
  const blob = await response.blob();
  const dot = file.name.lastIndexOf('.');
  const name = dot > 0 ? file.name.slice(0, dot) + '.labeled' + file.name.slice(dot) : file.name + '.labeled';
  out.append(el('p', { role: 'status' }, [t().labelDone + name + ' ']), el('a', { href: URL.createObjectURL(blob), download: name }, [t().download]));
}

document.getElementById('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  applyLanguage();
});
document.getElementById('files').addEventListener('change', (event) => check([...event.target.files]));
const drop = document.getElementById('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  check([...event.dataTransfer.files]);
});
if (CONFIG.labelRoutes) {
  document.getElementById('label-form').hidden = false;
  document.getElementById('label-form').addEventListener('submit', labelFile);
}
applyLanguage();
`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');

export function pageFor(config: { readonly labelRoutes: boolean; readonly meanings: object }): { html: string; csp: string } {
  // Inside <script>, "</" would end the element: escaped, the JSON reads the same.
  const configJson = JSON.stringify(config).replace(/</g, '\\u003c');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aigc-label</title>
<style>${style}</style>
</head>
<body>
<header>
<h1 data-text="title"></h1>
<button type="button" id="lang"></button>
</header>
<main>
<section id="drop" aria-labelledby="drop-text">
<p id="drop-text" data-text="drop"></p>
<label for="files" data-text="choose"></label>
<input type="file" id="files" multiple>
<fieldset>
<legend data-text="options"></legend>
<input type="checkbox" id="declared"> <label for="declared" data-text="declared"></label><br>
<input type="checkbox" id="ocr"> <label for="ocr" data-text="ocr"></label>
</fieldset>
</section>
<h2 id="results-heading" tabindex="-1" data-text="results"></h2>
<div id="results" aria-live="polite"></div>
<form id="label-form" hidden>
<h2 data-text="labelTitle"></h2>
<p><label for="token" data-text="token"></label><br><input type="password" id="token" autocomplete="off" required></p>
<p><label for="producer" data-text="producer"></label><br><input type="text" id="producer" required></p>
<p><label for="label-value" data-text="labelValue"></label><br><select id="label-value"><option value="1"></option><option value="2"></option><option value="3"></option></select></p>
<p><label for="label-file" data-text="labelFile"></label><br><input type="file" id="label-file" required></p>
<p><button type="submit" data-text="labelGo"></button></p>
<div id="label-result" aria-live="polite"></div>
</form>
</main>
<script type="application/json" id="config">${configJson}</script>
<script>${script}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(script)}'`,
    "style-src 'unsafe-inline'",
    'img-src blob:',
    'media-src blob:',
    "connect-src 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
