// Message text is text: Preact escapes it, and only http(s), mailto and tel addresses become links (opened
// without a referrer or an opener). Nothing in a message, a room name or a user name is ever parsed as HTML.
import type { ComponentChildren } from 'preact';

const LINK = /\b(?:https?:\/\/[^\s<>"]+|mailto:[^\s<>"]+|tel:\+?[\d\-().\s]{3,20}\d)/gi;
const ALLOWED = new Set(['http:', 'https:', 'mailto:', 'tel:']);

export function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return ALLOWED.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

export function MessageText({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const raw = match[0].replace(/[.,;:!?)]+$/, '');
    const href = safeHref(raw);
    if (!href) continue;
    parts.push(text.slice(last, match.index));
    parts.push(
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {raw}
      </a>,
    );
    last = match.index + raw.length;
  }
  parts.push(text.slice(last));
  return <span class="text">{parts}</span>;
}
