// What client text may contain, one rule per kind of field, checked at the edge (REST bodies and queries,
// socket frames, token claims) before any command runs. The reasons are in docs/api.md, "Text".
//   any text  no NUL, no lone surrogate: PostgreSQL cannot hold them, UTF-8 cannot carry them
//   body      free text (messages, reasons): also no control character but tab, line feed and return
//   name      one line shown to others or matched (room and user names, emoji, keys, ids of other
//             systems): no control character at all, no line separator, no bidi control, no invisible
//             formatting character but the joiners emoji and some scripts need, no blank filler letter
import { z } from 'zod';

export type TextKind = 'text' | 'body' | 'name';

/** Controls (Cc: C0, DEL, C1) but tab, line feed and carriage return. */
const BODY_FORBIDDEN = /(?![\t\n\r])\p{Cc}/u;
/**
 * Controls (Cc), line and paragraph separators (Zl, Zp), format characters (Cf: bidi embeddings, overrides,
 * isolates and marks, zero-width space, word joiner, BOM, soft hyphen, ...) except ZWNJ and ZWJ (Persian,
 * Indic scripts, emoji sequences) and tag characters (subdivision flag emoji), and the Hangul fillers,
 * letters that show as nothing.
 */
const NAME_FORBIDDEN =
  /(?!\u200c|\u200d|[\u{e0020}-\u{e007f}])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/u;
const NAME_FORBIDDEN_ALL = new RegExp(NAME_FORBIDDEN.source, 'gu');

/** The stable code of a refusal, in problem+json and in socket error frames. */
export const INVALID_TEXT = 'invalid_text';

const codePoint = (character: string) =>
  `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `text` may not stand in a field of this kind, or undefined when it may. */
export function textProblem(text: string, kind: TextKind): string | undefined {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) return `contains the NUL character (U+0000) at ${nul}`;
  if (!text.isWellFormed()) {
    const lone = [...text].find((character) => !character.isWellFormed())!;
    return `contains a lone surrogate (${codePoint(lone)}), which is not a character`;
  }
  if (kind === 'text') return undefined;
  const forbidden = (kind === 'body' ? BODY_FORBIDDEN : NAME_FORBIDDEN).exec(text);
  if (!forbidden) return undefined;
  return kind === 'body'
    ? `contains the control character ${codePoint(forbidden[0])}; only tab, line feed and return may`
    : `contains ${codePoint(forbidden[0])}, a control, bidi or invisible character, which a name may not`;
}

/**
 * A name with what a name may not contain taken out (a lone surrogate becomes U+FFFD), for names a client
 * does not type but brings along: the name of an uploaded file comes from its file system.
 */
export function withoutForbiddenNameCharacters(text: string): string {
  return text.toWellFormed().replace(NAME_FORBIDDEN_ALL, '');
}

function textSchema(kind: TextKind) {
  return z.string().superRefine((text, context) => {
    const problem = textProblem(text, kind);
    if (problem) context.addIssue({ code: 'custom', message: problem, params: { code: INVALID_TEXT } });
  });
}

/** Any text field: no NUL, no lone surrogate. Chain limits after it (`SafeText.max(200)`). */
export const SafeText = textSchema('text');
/** Free text: messages, report and hide reasons. */
export const BodyText = textSchema('body');
/** One line shown to others or matched: room names, usernames, emoji, client ids, ids of other systems. */
export const NameText = textSchema('name');
