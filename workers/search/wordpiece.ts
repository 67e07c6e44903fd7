/**
 * BERT-uncased WordPiece tokenizer read from a Hugging Face `tokenizer.json` (the MiniLM one shipped in
 * `text/`): what the worker's text encoder and the evaluator run. It follows the same steps as
 * training/tokenizer.py and Hugging Face's BERT tokenizers: BertNormalizer (clean text, pad CJK, strip accents,
 * lowercase), BertPreTokenizer (split on whitespace and punctuation), WordPiece (greedy longest match, `##`),
 * then `[CLS] … [SEP]`, truncated to `maxLength`. No I/O here: the caller hands in the parsed JSON.
 */
import { LocalshelfError, describeValue } from '../../src/errors';

export interface TokenizerJson {
  model: { type: string; vocab: Record<string, number>; unk_token: string; continuing_subword_prefix: string; max_input_chars_per_word: number };
  normalizer?: { lowercase?: boolean; strip_accents?: boolean | null; clean_text?: boolean; handle_chinese_chars?: boolean };
}

const CONTROL = /^\p{C}$/u;
const SPACE = /^\p{Zs}$/u;
const PUNCT = /^\p{P}$/u;
const MARK = /\p{Mn}/gu;

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE.test(ch) || /^\s$/u.test(ch);
}

function isControl(ch: string): boolean {
  return ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL.test(ch);
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) || PUNCT.test(ch);
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Text to MiniLM vocabulary ids, single sequence, no padding. */
export class WordPieceTokenizer {
  private readonly vocab: Map<string, number>;
  private readonly unk: string;
  private readonly prefix: string;
  private readonly maxChars: number;
  private readonly lowercase: boolean;
  private readonly stripAccents: boolean;
  private readonly cleanText: boolean;
  private readonly chinese: boolean;
  readonly clsId: number;
  readonly sepId: number;

  /** @param maxLength - ids kept including `[CLS]` and `[SEP]` (transformers.js truncates at 512). */
  constructor(spec: TokenizerJson, readonly maxLength = 512) {
    if (spec?.model?.type !== 'WordPiece') throw new Error(`expected a WordPiece tokenizer, got ${describeValue(spec?.model?.type)}`);
    if (typeof spec.model.vocab !== 'object' || spec.model.vocab === null) throw new Error('tokenizer.json has no model.vocab');
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new Error(`maxLength must be an integer >= 2; got ${maxLength}`);
    this.vocab = new Map(Object.entries(spec.model.vocab));
    this.unk = spec.model.unk_token;
    this.prefix = spec.model.continuing_subword_prefix;
    this.maxChars = spec.model.max_input_chars_per_word;
    const n = spec.normalizer ?? {};
    this.lowercase = n.lowercase ?? true;
    this.stripAccents = n.strip_accents ?? this.lowercase;
    this.cleanText = n.clean_text ?? true;
    this.chinese = n.handle_chinese_chars ?? true;
    const cls = this.vocab.get('[CLS]');
    const sep = this.vocab.get('[SEP]');
    if (cls === undefined || sep === undefined || !this.vocab.has(this.unk)) throw new Error('the vocabulary lacks [CLS], [SEP] or the unknown token');
    this.clsId = cls;
    this.sepId = sep;
  }

  /**
   * Parses `tokenizer.json` bytes (and, if given, `tokenizer_config.json`'s `model_max_length`).
   * @throws LocalshelfError `MODEL_CORRUPT` when the file is not JSON or not a WordPiece tokenizer
   */
  static parse(tokenizerJson: string | Uint8Array, maxLength = 512): WordPieceTokenizer {
    try {
      const text = typeof tokenizerJson === 'string' ? tokenizerJson : new TextDecoder('utf-8', { fatal: true }).decode(tokenizerJson);
      return new WordPieceTokenizer(JSON.parse(text) as TokenizerJson, maxLength);
    } catch (cause) {
      throw new LocalshelfError('MODEL_CORRUPT', `tokenizer.json is unusable: ${(cause as Error).message}`, { cause });
    }
  }

  /** BertNormalizer. */
  normalize(text: string): string {
    let out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (this.cleanText) {
        if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
        if (isWhitespace(ch)) {
          out += ' ';
          continue;
        }
      }
      out += this.chinese && isCjk(cp) ? ` ${ch} ` : ch;
    }
    if (this.stripAccents) out = out.normalize('NFD').replace(MARK, '');
    return this.lowercase ? out.toLowerCase() : out;
  }

  /** BertPreTokenizer: words and single punctuation characters. */
  preTokenize(text: string): string[] {
    const words: string[] = [];
    let cur = '';
    for (const ch of text) {
      if (isWhitespace(ch)) {
        if (cur) words.push(cur);
        cur = '';
      } else if (isPunctuation(ch)) {
        if (cur) words.push(cur);
        cur = '';
        words.push(ch);
      } else cur += ch;
    }
    if (cur) words.push(cur);
    return words;
  }

  /** Greedy longest-match-first sub-words; the unknown token for a word that cannot be covered. */
  wordPiece(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > this.maxChars) return [this.unk];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const sub = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
        if (this.vocab.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === undefined) return [this.unk];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  /** `[CLS] tokens [SEP]` ids, truncated on the right to `maxLength`. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const word of this.preTokenize(this.normalize(text))) {
      for (const piece of this.wordPiece(word)) ids.push(this.vocab.get(piece)!);
    }
    return [this.clsId, ...ids.slice(0, this.maxLength - 2), this.sepId];
  }
}
