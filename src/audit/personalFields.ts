// Which fields of which events hold personal text: the tree commits to these through a salted hash, never
// to the text itself, so the text can be erased later while every proof still verifies (docs/audit.md).
// User ids stay in clear: they are pseudonymous ids, and "who did what" is what an audit is for.
// A new event type (or field) with free text or a person's name must be added here; the leaf of an event
// records the paths it committed, so adding one changes only leaves sequenced after the change.
import type { JsonValue } from './canonicalJson.ts';

/** dot-separated paths into the event; `*` is every element of an array */
export const PERSONAL_TEXT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  RoomCreated: ['data.name', 'data.participants.*.username'],
  RoomUpdated: ['data.name'],
  ParticipantAdded: ['data.username'],
  MessageSent: ['data.content', 'data.senderUsername', 'data.attachment.fileName'],
  MessageEdited: ['data.content'],
  MessageHidden: ['data.reason'],
  MessageReported: ['data.reason'],
  MessageBounced: ['data.content'],
};

/** the concrete paths (array indices filled in) of this event's personal fields that hold a string */
export function personalTextPaths(type: string, event: { [key: string]: JsonValue }): string[] {
  const paths: string[] = [];
  for (const pattern of PERSONAL_TEXT_FIELDS[type] ?? []) expand(event, pattern.split('.'), [], paths);
  return paths.sort();
}

function expand(value: JsonValue | undefined, rest: string[], done: string[], out: string[]): void {
  if (rest.length === 0) {
    if (typeof value === 'string') out.push(done.join('.'));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const [head, ...tail] = rest as [string, ...string[]];
  if (head === '*') {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) expand(value[i], tail, [...done, String(i)], out);
    }
    return;
  }
  if (!Array.isArray(value)) expand(value[head], tail, [...done, head], out);
}

/** the value at a concrete path, undefined when there is none */
export function valueAtPath(root: JsonValue, path: string): JsonValue | undefined {
  let value: JsonValue | undefined = root;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Array.isArray(value)
      ? value[Number(segment)]
      : Object.hasOwn(value, segment)
        ? value[segment]
        : undefined;
  }
  return value;
}

/**
 * The plain object a concrete path ends in, the member's name there, and how to put another object in
 * its place; null when there is none.
 */
function parentAtPath(root: JsonValue, path: string) {
  const segments = path.split('.');
  const last = segments.pop()!;
  let holder: { [key: string]: JsonValue } | JsonValue[] | null = null;
  let at = '';
  let value: JsonValue | undefined = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return null;
    holder = value;
    at = segment;
    // own members only: a path from a file must never reach Object.prototype
    value = Array.isArray(value)
      ? value[Number(segment)]
      : Object.hasOwn(value, segment)
        ? value[segment]
        : undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const parent = value;
  const replace = (next: { [key: string]: JsonValue }) => {
    if (holder === null) return false;
    if (Array.isArray(holder)) holder[Number(at)] = next;
    else holder[at] = next;
    return true;
  };
  return { parent, last, replace };
}

/**
 * removes the member at a concrete path (of an object; array elements are never removed). The object
 * that held it is replaced by a copy without it where it can be: `delete` turns a V8 object into a slow
 * dictionary, and JSON.stringify of the leaf afterwards took twice as long.
 */
export function removeAtPath(root: JsonValue, path: string): void {
  const at = parentAtPath(root, path);
  if (at === null || !Object.hasOwn(at.parent, at.last)) return;
  const copy: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(at.parent)) {
    if (key === at.last) continue;
    // an own "__proto__" (JSON.parse makes them) stays a member, not the copy's prototype
    if (key === '__proto__')
      Object.defineProperty(copy, key, {
        value: at.parent[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else copy[key] = at.parent[key]!;
  }
  if (!at.replace(copy)) delete at.parent[at.last];
}

/** sets the member at a concrete path whose parent exists (an export's revealed text back into its event) */
export function setAtPath(root: JsonValue, path: string, member: JsonValue): void {
  const at = parentAtPath(root, path);
  // defined, not assigned: "__proto__" is then a member like any other, never the prototype
  if (at !== null)
    Object.defineProperty(at.parent, at.last, {
      value: member,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}
