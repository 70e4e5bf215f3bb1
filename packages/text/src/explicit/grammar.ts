import { NAMED_MODELS } from './named-models.js';
import { characterTable, normaliseForDetection } from './normalise.js';

/**
 * The grammar of an explicit text label (GB 45438 §5.1), applied to one clause at
 * a time after `normaliseForDetection` (half-width, no whitespace, simplified).
 *
 * A label statement is [subject][quantifier][hedge][verb] agent [manner] act [object]:
 * 本文 / 均 / 疑似 / 由 / AI / 辅助 / 生成 / 内容. Chinese patterns are matched on the normalised
 * clause in lower case (ai, gpt-4o), English ones on the clause with its spaces. Around it, a sentence may hold short
 * lead-in clauses ending in a colon (声明：) and advice clauses (仅供参考), which
 * `isLeadIn` and `isAdvice` recognise. Everything else is prose, and a statement
 * inside prose is not a label (see detect.ts).
 */

/** The Measures Art. 6 level a wording expresses: a producer's prompt, or a platform's 可能为 / 疑似 prompt. */
export type LabelLevel = 'confirmed' | 'possible' | 'suspected';

/**
 * How much structure a statement carries, which decides what it needs around it to be a label:
 * - `declared`: a subject, a verb of agency or containment, or a hedge (本文由AI生成, 含AI生成内容, 疑似AI生成);
 * - `bare`: agent and act only (AI生成, 人工智能合成内容, AI-generated): on its own line, in brackets, or with a lead-in or advice;
 * - `weak`: bare with an act other than 生成/合成 (AI创作): in brackets, or with a lead-in or advice;
 * - `mark`: a service name with AI and no act (即梦AI, 可灵AI 3.0): in brackets, with a lead-in, a version number or a symbol.
 */
export type StatementStrength = 'declared' | 'bare' | 'weak' | 'mark';

export interface Statement {
  readonly language: 'zh' | 'en';
  readonly level: LabelLevel;
  readonly strength: StatementStrength;
  /** A mark with a version number (可灵AI 3.0), which sets it apart from a name in prose. */
  readonly versioned: boolean;
  /**
   * The subject names the text itself (本文, 以上内容, 此回答, This content): such a statement is
   * a label even when commentary follows it in its sentence (本文由AI生成，人工仅作微调).
   */
  readonly selfReferential: boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const words = (list: string): string[] => list.trim().split(/\s+/);
/** Alternatives, longest first, so the regular expression tries the most specific word first. */
const alt = (list: readonly string[]): string =>
  `(?:${[...list]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|')})`;

// ---- Chinese ------------------------------------------------------------------------------

const NOUN = alt(
  words(`内容 文 文章 回答 回复 答复 文本 文字 图文 图片 图像 照片 图 视频 音频 答案 结果 素材 作品 画面 声音 段落 信息 消息
  摘要 代码 正文 文案 稿件 报告 翻译 译文 对话 总结 插图 配图 影像 音乐 歌曲 语音 数据 页面 材料 帖子 笔记 评论 故事 诗 诗歌
  小说 剧本 文档 邮件 封面 海报 动态 分析 解读 方案 注释 简介 攻略 周报 纪要 字幕 配音 解说 讲解 文稿 篇章 章节 词条 图表 课件 文件 项目`),
);
const NOUN_CHAIN = `${NOUN}(?:(?:的|中的|中|里的|内的|之|里|内)?${NOUN})?`;
const PART = `(?:中的|中|的|里的)?${alt(words('部分 全部 大部分 绝大部分 大多数 多数 少量 一些 所有'))}${NOUN}?`;
// 本文, 此视频, 该回答, 这篇文章, 以上内容, 以下, 文中配图, 本文部分内容, 回复的内容; 本平台生成内容, 本README.
const SELF_SUBJECT = `(?:本|此)[^由经使借通利采运依基用靠为系是属乃含包涉带不非未没无否疑可或]{0,8}?${NOUN_CHAIN}|(?:本|此|该)[a-z][a-z0-9]{1,15}`;
const SUBJECT = `(?:${SELF_SUBJECT}|(?:本|此|该|这|那)${alt(words('篇 段 条 则 份 期 组 张 幅 部 首 个 项 次 套 封 页 章 节'))}?${NOUN_CHAIN}|${alt(
  words('以上 以下 上述 下述 下列 前述 上面 下面 如上 文中 文内 全'),
)}(?:的)?(?:${NOUN_CHAIN})?|此|${NOUN_CHAIN}|${alt(words('部分 全部 所有'))}${NOUN_CHAIN})(?:${PART})?`;
const QUANT = alt(words('均 全部 皆 都 全 亦 也 部分 主要 大部分 完全 全程 整体 均是 全都 基本 大多'));
const HEDGE_WORDS = words('可能 很可能 极可能 有可能 或许 也许 大概率 或 疑似 疑为 涉嫌');
const HEDGE = alt(HEDGE_WORDS);
/** Verbs of agency that make a statement declared by themselves (由AI生成). */
const STRONG_AGENCY = words('由 经 经由 经过');
/** Verbs of agency that need a subject or a hedge (本文使用AI生成; 使用AI生成图片 alone is a product description). */
const WEAK_AGENCY = words('使用 使用了 借助 借助了 通过 利用 利用了 采用 采用了 运用 运用了 依托 基于 用 依靠');
const COPULA_WORDS = words('为 系 是 属于 属 乃 均为 皆为 全为 即为 都是');
const COPULA = alt(COPULA_WORDS);
const STRONG_CONTAIN = words('含 含有 包含 包括 内含 带有');
const WEAK_CONTAIN = words('涉及 使用了 采用了 运用了 应用了 用了 加入了 融入了');
const AGENT_CORE_WORDS = words('ai 人工智能 aigc 生成式人工智能 生成式ai ai大模型 大模型 大语言模型 语言模型 genai llm ai模型');
const AGENT_CORE = alt(AGENT_CORE_WORDS);
const AGENT_SUFFIX_WORDS = words(
  '技术 模型 大模型 算法 工具 助手 系统 服务 引擎 平台 应用 软件 程序 智能体 能力 产品 功能 写作助手 绘画工具 生成工具 创作工具 写作工具 机器人',
);
const AGENT_SUFFIX = alt(AGENT_SUFFIX_WORDS);
const NAMED = alt(NAMED_MODELS.map((name) => name.toLowerCase()));
const VERSION = '(?:[-.·]?(?:[0-9][0-9a-z.]{0,7}|pro|max|plus|turbo|ultra|lite|mini|flash|sonnet|opus|haiku|xl|r1|v3|o1|o3|4o)){0,3}';
const LATIN_NAME = '[a-z][a-z0-9.\\-]{1,15}?';
// A name between a verb of agency and the agent (由豆包AI生成, 由腾讯混元大模型生成): anything short but a negation.
const ANY_NAME = '[^不非未没无否]{1,10}?';
const AGENT_NAMED = `${NAMED}${VERSION}(?:${AGENT_CORE})?(?:${AGENT_SUFFIX})?`;
const AGENT_AFTER_AGENCY = `(?:(?:${ANY_NAME})?${AGENT_CORE}${VERSION}(?:${AGENT_SUFFIX})?|${AGENT_NAMED})`;
const AGENT_BARE = `(?:(?:(?:${NAMED}${VERSION}|${LATIN_NAME})[/·|]?)?${AGENT_CORE}${VERSION}(?:${AGENT_SUFFIX})?|${AGENT_NAMED})`;
const MANNER_WORDS = words('辅助 自动 智能 深度 协助 帮助 参与 全程 部分 自主 一键 全自动 批量');
const MANNER = alt(MANNER_WORDS);
const STANDARD_ACT = alt(words('生成合成 合成生成 生成 合成'));
const OTHER_ACT = alt(
  words(`创作 制作 绘制 绘画 写作 撰写 编写 创建 生产 产出 输出 改写 润色 翻译 配音 作图 绘图 作画 设计 剪辑 续写 扩写 总结
  整理 编辑 起草 完成 制图 撰稿 编撰 编译 朗读 演唱 作曲 谱曲 渲染 创造 重写 仿写 改编`),
);
const EDITORIAL = `(?:经过?|由|再由|经由)?(?:人工|作者|编辑|人类|专业人员|专家)?${alt(
  words('审核 校对 校正 编辑 修改 整理 润色 核验 核实 审校 微调 精修 复核 把关 审阅 确认'),
)}(?:修改|过|后发布|发布)?`;
const ACT_UNIT = `(?:${STANDARD_ACT}|${OTHER_ACT})`;
const ACT_JOINERS = words('并 和 与 及 、 / 或 + 以及 并经 后经');
const ACT = `${ACT_UNIT}(?:${alt(ACT_JOINERS)}(?:${ACT_UNIT}|${EDITORIAL}))*`;
const OBJECT_WORDS = words(
  '内容 作品 成分 元素 信息 部分 片段 素材 画面 技术 文本 图片 图像 视频 音频 结果 回答 答案 文字 文章 材料 数据 语音 声音 版本 稿',
);
const OBJECT = `(?:的)?${alt(OBJECT_WORDS)}?(?:的)?`;
/** Objects a bare statement may carry: AI生成内容 is a label, AI生成图片 a feature name. */
const BARE_OBJECTS = new Set(['', '的', '内容', '的内容', '作品', '的作品']);
/** The Measures' own term, 生成合成内容, which implies the AI element (该内容疑似生成合成内容). */
const GENERATED_SYNTHETIC = '(?:生成合成|合成生成)(?:的)?内容';
const BILINGUAL_TAIL = '[/(]?(?:ai-?generated(?:content)?|generatedbyai|aigenerated(?:content)?)\\)?';

// ---- Advice and lead-ins -----------------------------------------------------------------

const ADVICE_SUBJECT_WORDS =
  words(`内容 本内容 该内容 以上内容 相关内容 生成内容 结果 信息 相关信息 回答 答案 观点 数据 本站 本平台 平台 公众号 作者 本号 本文
  其内容 其 译文 图片 准确性 真实性 内容准确性 以上 文中观点 所述内容`);
const ADVICE_SUBJECT = alt(ADVICE_SUBJECT_WORDS);
/** The start of an advice clause: an imperative, a disclaimer, or an editorial note. */
const ADVICE_HEAD_WORDS = words(
  '请 敬请 烦请 务必 切勿 勿 谨慎 审慎 慎重 注意 留意 切记 谢绝 严禁 禁止 不得 仅 只供 只作 未必 难免 如有 如需 如发现 若有 若发现 如对 转载 版权',
);
/** Patterns, each with the characters it can start with (kept beside it for `mayFollowAct`). */
const ADVICE_HEAD_PATTERNS: readonly (readonly [starts: string, pattern: string])[] = [
  ['并不', `(?:并)?不${alt(words('代表 构成 保证 作为 对 能作为 一定 承担 可作为 宜'))}`],
  ['无', `无法${alt(words('保证 确保 核实'))}`],
  ['可或也亦', `(?:可能|或|也可能|亦可能)${alt(words('存在 有 包含 出现 不 会 含有'))}`],
  ['存', `存在${alt(words('错误 偏差 不准确 误差 疏漏 风险'))}`],
  ['以', '以.{1,12}为准'],
  [
    '已均经并未由',
    `(?:已|已经|均已|经|经过|并经|未经|已由|由)(?:人工|编辑|作者|专人|专业人员|人类|编辑部)?${alt(words('审核 校对 校正 核实 核验 修改 编辑 审阅 复核 把关 确认 润色 整理'))}`,
  ],
  ['非', `非${alt(words('人工 投资 专业 官方 医疗 法律'))}`],
  ['需须应宜', `(?:需|须|应|宜).{0,4}?${alt(words('谨慎 注意 核实 甄别 小心 辨别 自行 人工'))}`],
  ['建', `建议(?:您|你|读者|用户)?${alt(words('谨慎 核实 参考 结合 咨询 自行 根据 以 仔细 人工 查阅'))}`],
  ['欢', `欢迎${alt(words('指正 反馈 纠正 批评'))}`],
];
const ADVICE_HEAD = [alt(ADVICE_HEAD_WORDS), ...ADVICE_HEAD_PATTERNS.map(([, pattern]) => pattern)].join('|');
const ADVICE_ZH = `(?:${ADVICE_SUBJECT})?(?:${ADVICE_HEAD}).{0,40}`;

// English advice, written once with "_" between words: matched with spaces on English clauses and
// without them on normalised ones (for reference only / forreferenceonly).
const ADVICE_EN_WORDS = `(?:(?:and|but|so)_)?(?:(?:it|this|they|these|the(?:_(?:content|response|output|information|answer|text|summary|results?|page|image))?|content|responses?|results?|answers?|outputs?|information)_)?(?:${[
  '(?:(?:is|are)_)?(?:(?:provided|intended|offered)_)?for_(?:reference|informational|information|entertainment|educational|general|illustrative|demonstration|research)',
  'please|kindly|verify|double-?check|check|review|proofread|consult|seek|always|treat|use_with|use_it_with|use_at_your_own|dyor',
  '(?:may|might|can|could|will)(?:_not)?_(?:contain|include|be|have|make|produce|differ|vary|need|require|still)',
  "(?:does|do|did)(?:_not|n't)_(?:represent|reflect|constitute|necessarily|replace|guarantee)",
  "(?:is|are)(?:_not|n't)_(?:reviewed|verified|checked|guaranteed|legal|medical|financial|professional|advice|a_substitute|intended)",
  "(?:has|have|was|were)(?:_not|n't)?(?:_been)?_(?:reviewed|edited|checked|verified|validated|fact-?checked|curated|approved)",
  '(?:reviewed|edited|checked|verified|validated|approved)_by',
  'not_reviewed|not_(?:legal|medical|financial|professional|investment)|not_to_be',
  'accuracy_(?:may|is|not|cannot|can)|(?:may|might)_vary',
  '(?:mistakes|errors|inaccuracies|omissions)_(?:may|might|can|could|will|are|do)',
  'requires?_(?:(?:human|physician|expert|professional|manual|attorney|further)_)?review',
].join('|')})`;
const ADVICE_EN = `${ADVICE_EN_WORDS.replaceAll('_', '')}.{0,80}`;
const ADVICE_EN_SPACED = `${ADVICE_EN_WORDS.replaceAll('_', ' ?')}.{0,100}`;

const ADVICE = new RegExp(`^(?:${ADVICE_ZH}|${ADVICE_EN})$`, 'i');

/** Lead-ins that report speech or give an instruction (他写道：, 请在末尾加上：) introduce a quote, not a label. */
const REPORTING_ENDINGS = new RegExp(
  `(?:${alt(
    words(`说 道 称 表示 指出 认为 问 答 写 写道 写着 提到 强调 透露 介绍 回应 报道 通报 显示 标注 标明 声称 坦言 直言 补充 解释 加上 添加
  加入 附上 注明 写上 写明 输出 回复 改为 换成 替换为 告诉 评论 留言 吐槽 调侃 感叹 质疑 发现 得知 获悉 要求 规定 例如 比如 如 包括 包含 为 是 有 改成
  said says wrote writes asked told added replied reads read noted reported explained commented tweeted posted claims claimed shows showed like example e.g.
  suchas include includes`),
  )})$`,
  'i',
);
const maximumLeadInLength = 16;

// ---- English ------------------------------------------------------------------------------
// Matched on the clause in lower case with its spaces kept (`spacedForEnglish`), so words stay words:
// "was not generated" cannot pass for a subject followed by "generated".

const EN_NOUN = alt(
  words(`content text response responses answer answers reply replies article articles post page image images picture pictures photo photos
  video videos audio summary summaries output message translation story document transcript report code file email description caption section
  essay blogpost draft copy chapter lesson analysis result results material illustration illustrations artwork thumbnail music song voice
  narration podcast episode newsletter readme function script codebase entry note notes`),
);
const EN_WORD = "(?!(?:not|never|no|none|nothing|nobody|neither|nor)\\b)[a-z][a-z0-9'-]*";
// "This content", "the above text" name the text itself; "the new template", "responses" are other subjects.
const EN_SELF_SUBJECT = `(?:this|these|the above|the following|the entire|all of this|parts? of this|portions? of this|some of this)(?: ${EN_WORD}){0,2}?`;
const EN_OTHER_SUBJECT = `(?:(?:the|all|some|all the|parts? of the|portions? of the|some of the)(?: ${EN_WORD}){1,3}?|${EN_NOUN}|it)`;
const EN_HEDGE = 'may|might|could|possibly|likely|probably|potentially|suspected|allegedly';
const EN_BE = `(?:is|was|are|were|has been|have been|had been|(?:may|might|could)(?: have)? be(?:en)?)(?: (?:${EN_HEDGE}))? `;
const EN_ADVERB = `(?:(?:partially|partly|fully|entirely|wholly|automatically|mostly|largely|primarily|originally|${EN_HEDGE}|suspected to be) )?`;
const EN_PASSIVE =
  '(?:generated|created|written|produced|made|synthesi[sz]ed|drafted|composed|translated|summari[sz]ed|edited|assisted|designed|illustrated|authored|rendered|narrated|voiced|built)';
const EN_BY =
  ' (?:by|with|using|via|with the help of|with the assistance of|with assistance from|with help from|with support from|through the use of) ';
const EN_VERSION = '(?:[-. ]?(?:[0-9][0-9a-z.]{0,7}|pro|max|plus|turbo|ultra|lite|mini|flash|sonnet|opus|haiku|xl|r1|v3|o1|o3|4o)\\b){0,3}';
const EN_AGENT = `(?:an? |the )?(?:generative )?(?:ai|a\\.i\\.|artificial intelligence|${NAMED})${EN_VERSION}(?: (?:models?|tools?|systems?|assistants?|assistance|chatbots?|technology|technologies|software|language models?|llms?))?`;
const EN_AI_COMPOUND =
  '(?:ai|a\\.i\\.)[- ]?(?:generated|created|synthesi[sz]ed|produced|written|assisted|edited|enhanced|made)(?: (?:content|text|images?|videos?|audio|media|response|answer|summary|article|material|post|music|voice))?';
const EN_CONTAIN = '(?:contains|contain|includes|include|consists of|consist of|features|uses)(?: (?:some|partially|partly))? ';

// ---- Compiled statement patterns ------------------------------------------------------------

const AGENCY = alt([...STRONG_AGENCY, ...WEAK_AGENCY]);
const CONTAIN = alt([...STRONG_CONTAIN, ...WEAK_CONTAIN]);
const CHINESE = new RegExp(
  [
    `^(?<subject>${SUBJECT})?(?:${QUANT})?(?<hedge>${HEDGE})?(?:${QUANT})?`,
    '(?:',
    `(?<agency>${AGENCY})${AGENT_AFTER_AGENCY}(?:${MANNER})?(?<act1>${ACT})`,
    `|在${AGENT_BARE}(?:的)?(?:辅助|帮助|协助|支持|参与)下(?<act2>${ACT})`,
    `|(?:${COPULA})(?:由)?${AGENT_BARE}(?:${MANNER})?(?<act3>${ACT})`,
    `|(?<contain>${CONTAIN})${AGENT_BARE}(?:${MANNER})?(?<act4>${ACT})`,
    `|(?<bare>${AGENT_BARE})(?:${MANNER})?(?<act5>${ACT})`,
    `|(?<copula>${COPULA})?(?<term>${GENERATED_SYNTHETIC})`,
    ')',
    `(?<object>${OBJECT})(?:${ADVICE_ZH})?(?:${BILINGUAL_TAIL})?$`,
  ].join(''),
);
/** Subjects that name the text itself. */
const TEXT_NOUNS = '(?:文|篇|段|回答|回复|答复|内容|文档|文本|文字|文章|摘要|总结|报告|代码|纪要|译文|翻译|页)';
const SELF_REFERENCE = new RegExp(`^(?:本|以上|以下|上述|下述|前述|全文|文中|文内|如上|此${TEXT_NOUNS}|这(?:篇|段|份)${TEXT_NOUNS})`);
/** A service's mark without an act (即梦AI, 可灵AI3.0, hailuoAI, AIGC). */
const MARK = new RegExp(`^(?:(?:${NAMED}${VERSION}|${LATIN_NAME})[/·|]?ai|aigc)(?<version>${VERSION})$`);
const maximumMarkLength = 32;
const EN_STATEMENT = `(?<be>${EN_BE})?(?<adverb>${EN_ADVERB})(?:${EN_PASSIVE}${EN_BY}${EN_AGENT}|${EN_AI_COMPOUND}|(?<contain>${EN_CONTAIN})${EN_AI_COMPOUND})`;
/** A statement whose subject names the text itself, with any remark after it in its clause (…generated by AI based on your notes). */
const ENGLISH_SELF = new RegExp(`^(?<subject>${EN_SELF_SUBJECT}) ${EN_STATEMENT}(?:[ ,;-].{0,100})?$`);
/** Any other statement, with nothing or advice after it in its clause (AI-generated content may be incorrect). */
const ENGLISH_OTHER = new RegExp(`^(?:(?<subject>${EN_OTHER_SUBJECT}) )?${EN_STATEMENT}(?:[ ,;-]+${ADVICE_EN_SPACED})?$`);
/** The same without capture groups and in either case, for the cheap first test on the clause as written, which most prose fails. */
const withoutGroups = (pattern: RegExp) => new RegExp(pattern.source.replace(/\(\?<[a-z]+>/g, '(?:'), 'i');
const ENGLISH_SELF_TEST = withoutGroups(ENGLISH_SELF);
const ENGLISH_OTHER_TEST = withoutGroups(ENGLISH_OTHER);
const EN_HEDGE_WORD = new RegExp(`\\b(?:${EN_HEDGE})\\b`);
/** A named service on its own (MINIMAX beside "hailuo AI", Gemini 2.5 Pro in brackets after a statement). */
const NAME_ONLY = new RegExp(`^${NAMED}${VERSION}$`);

const CJK = /[\u3400-\u9fff]/;

const levelOf = (hedge: string | undefined): LabelLevel =>
  hedge === undefined || hedge === '' ? 'confirmed' : /疑|涉嫌|suspected|allegedly/i.test(hedge) ? 'suspected' : 'possible';

/**
 * Parses a clause, as written and without decoration at its ends, as a label statement; null
 * when it is not one. Chinese and marks are matched on it normalised, English on it spaced.
 */
export function parseStatement(raw: string): Statement | null {
  const chinese = CJK.test(raw);
  const lower = chinese || raw.length <= maximumMarkLength ? normaliseForDetection(raw).toLowerCase() : '';
  return (
    (chinese ? chineseStatement(lower) : null) ??
    (ENGLISH_WORD.test(raw) ? englishStatement(raw) : null) ??
    (lower.length <= maximumMarkLength && lower.includes('ai') ? markStatement(lower) : null)
  );
}

/** English statements have English words in them ("by", "generated"); clauses without any skip that pattern. */
const ENGLISH_WORD = /[A-Za-z]{3}/;

/**
 * What can stand right before 生成 or 合成 in a statement, with spaces skipped: the end of an
 * agent (AI, 人工智能, 大模型, a named model, a version), of a manner (辅助), 下 (在AI辅助下生成),
 * a joiner (生成或合成), or a hedge or copula before 生成合成内容. Derived from the word lists
 * above, so a clause without one cannot be a statement and needs no closer look.
 */
const lastCharacters = (list: readonly string[]) => list.map((w) => w.at(-1) ?? '');
const ACT_PRECEDERS = characterTable([
  ...lastCharacters(AGENT_CORE_WORDS),
  ...lastCharacters(AGENT_SUFFIX_WORDS),
  ...lastCharacters(MANNER_WORDS),
  ...lastCharacters(NAMED_MODELS),
  ...lastCharacters(ACT_JOINERS),
  ...lastCharacters(HEDGE_WORDS),
  ...lastCharacters(COPULA_WORDS),
  // A version ends a named model (GPT-4o, Qwen2.5); 下 ends 在AI辅助下; 慧 ends 人工智慧.
  ...'0123456789abcdefghijklmnopqrstuvwxyz下慧',
]);

/** Whether the character (code unit, as written) may end what precedes a generation act. */
export const mayPrecedeAct = (code: number): boolean => ACT_PRECEDERS[code] === 1;

/**
 * What can follow 生成 or 合成 in a statement, up to the end of its clause: further acts (生成并经人工
 * 校对, 生成或合成), an object (内容, 的), then nothing, advice (仅供参考) or the English form (AI-generated).
 */
const ACT_FOLLOWERS = new RegExp(
  `^(?:${alt(ACT_JOINERS)}(?:${ACT_UNIT}|${EDITORIAL})|${STANDARD_ACT})*${OBJECT}(?:$|(?:${ADVICE_SUBJECT})?(?:${ADVICE_HEAD})|${BILINGUAL_TAIL})`,
);

/** The characters ACT_FOLLOWERS can start with, from the same word lists. */
const FOLLOWER_STARTS = characterTable(
  [
    ...ACT_JOINERS,
    ...words('生 合 的 / ( a g'),
    ...OBJECT_WORDS,
    ...ADVICE_SUBJECT_WORDS,
    ...ADVICE_HEAD_WORDS,
    ...ADVICE_HEAD_PATTERNS.flatMap(([starts]) => [...starts]),
  ].map((w) => w[0] ?? ''),
);

/** Whether the character (code unit, as written) may start what follows a generation act in a statement. */
export const mayStartAfterAct = (code: number): boolean => FOLLOWER_STARTS[code] === 1;

/** Whether the rest of a clause after 生成 or 合成, as written, can complete a statement. */
export const mayFollowAct = (rest: string): boolean => ACT_FOLLOWERS.test(normaliseForDetection(rest).toLowerCase());

const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
/** Lower case, full-width to half-width, zero-width characters removed, runs of whitespace as one space. */
const spacedForEnglish = (raw: string): string => raw.normalize('NFKC').replace(INVISIBLE, '').replace(/\s+/g, ' ').trim().toLowerCase();
/** Printable ASCII without runs of spaces: already spaced as English patterns expect. */
const SIMPLE_ASCII = /^(?:[\x21-\x7e]| (?! ))*$/;

function chineseStatement(clause: string): Statement | null {
  const groups = CHINESE.exec(clause)?.groups;
  if (!groups) return null;
  const { subject, hedge, agency, contain, bare, term, copula } = groups;
  const act = groups.act1 ?? groups.act2 ?? groups.act3 ?? groups.act4 ?? groups.act5 ?? '';
  const standardAct = /生成|合成/.test(act) || term !== undefined;
  const supported = subject !== undefined || hedge !== undefined;
  let strength: StatementStrength = 'declared';
  if (term !== undefined) {
    if (!supported && copula === undefined) return null;
  } else if (agency !== undefined) {
    if (WEAK_AGENCY.includes(agency) && !supported) return null;
  } else if (contain !== undefined) {
    if (WEAK_CONTAIN.includes(contain) && !supported) return null;
  } else if (bare !== undefined && !supported) {
    if (!BARE_OBJECTS.has(groups.object ?? '')) return null;
    strength = standardAct ? 'bare' : 'weak';
  }
  return { language: 'zh', level: levelOf(hedge), strength, versioned: false, selfReferential: SELF_REFERENCE.test(subject ?? '') };
}

function markStatement(clause: string): Statement | null {
  const match = MARK.exec(clause);
  if (!match) return null;
  const versioned = (match.groups?.version ?? '') !== '';
  return { language: CJK.test(clause) ? 'zh' : 'en', level: 'confirmed', strength: 'mark', versioned, selfReferential: false };
}

function englishStatement(raw: string): Statement | null {
  const spaced = SIMPLE_ASCII.test(raw);
  const tested = spaced ? raw : spacedForEnglish(raw);
  const selfReferential = ENGLISH_SELF_TEST.test(tested);
  if (!selfReferential && !ENGLISH_OTHER_TEST.test(tested)) return null;
  const clause = spaced ? raw.toLowerCase() : tested;
  const groups = (selfReferential ? ENGLISH_SELF : ENGLISH_OTHER).exec(clause)?.groups;
  if (!groups) return null;
  const hedgeWord = EN_HEDGE_WORD.exec(`${groups.be ?? ''} ${groups.adverb ?? ''}`)?.[0];
  const declared = groups.subject !== undefined || groups.contain !== undefined || hedgeWord !== undefined;
  return {
    language: CJK.test(clause) ? 'zh' : 'en',
    level: levelOf(hedgeWord),
    strength: declared ? 'declared' : 'bare',
    versioned: false,
    selfReferential,
  };
}

/** An advice clause: 仅供参考, 请仔细甄别, 不代表平台观点, for reference only. */
export const isAdvice = (clause: string): boolean => ADVICE.test(clause);

const NOTICE_WORDS =
  /请|建议|点击|为准|欢迎|保证|负责|参考|甄别|核实|谨慎|风险|准确|错误|误差|免责|声明|提示|说明|注意|备注|警告|标识|版权|转载|不构成|不代表|按原样|仅供|指正|反馈|welcome|please|verify|check|review|accura|mistake|error|responsib|liab|warrant|asis|reference|advice|caution|risk|disclaimer|notice|note|warning/i;
const maximumNoticeLength = 60;

/**
 * A short sentence of the kind that stands around a label (数据来源以原文为准。Mistakes may still
 * occur.): it does not make a label, but it does not move one's position either.
 */
export const isNotice = (sentence: string): boolean =>
  isAdvice(sentence) || (sentence.length <= maximumNoticeLength && NOTICE_WORDS.test(sentence));

/** An instruction to write something (末尾加一句声明：, 请在回答末尾加上：) introduces what to write, not a label. */
const INSTRUCTION = /加|添加|附上|注明|写上|写明|输出|标注|改为|替换/;

/** A short lead-in before a colon (声明, 作者声明, 文末提示, Note), not reported speech (他写道) or an instruction. */
export const isLeadIn = (clause: string): boolean =>
  clause.length <= maximumLeadInLength && !REPORTING_ENDINGS.test(clause) && !INSTRUCTION.test(clause);

/** A service name alone, allowed beside a statement or a mark. */
export const isNameOnly = (clause: string): boolean => clause.length <= maximumMarkLength && NAME_ONLY.test(clause.toLowerCase());
