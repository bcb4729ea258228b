// Which fields of which events are stored encrypted, and whose key each is encrypted with (docs/privacy.md,
// "What is encrypted"). Every path is one the audit log commits to by a salted hash
// (src/audit/personalFields.ts), so a field turning into a tombstone changes no audit leaf: a unit test
// holds the two tables together.

type FieldSpec = {
  /** dot-separated path into the event; `*` is every element of an array */
  readonly path: string;
  /** path of the subject's user id; a `*` stands for the same element as the field's */
  readonly subject: string;
};

export const ENCRYPTED_FIELDS: Readonly<Record<string, readonly FieldSpec[]>> = {
  MessageSent: [
    { path: 'data.content', subject: 'data.senderId' },
    { path: 'data.senderUsername', subject: 'data.senderId' },
    { path: 'data.attachment.fileName', subject: 'data.senderId' },
  ],
  // only a message's sender edits it (domain/messageCommands.ts)
  MessageEdited: [{ path: 'data.content', subject: 'data.editedBy' }],
  RoomCreated: [{ path: 'data.participants.*.username', subject: 'data.participants.*.userId' }],
  ParticipantAdded: [{ path: 'data.username', subject: 'data.userId' }],
  // the text of a send or edit the moderation policy refused: the sender's, like a message
  MessageBounced: [{ path: 'data.content', subject: 'data.senderId' }],
};

/** one encrypted field present in an event: `holder[name]` is its value */
export type PersonalField = {
  /** concrete path (array indices filled in): the additional data of its ciphertext */
  readonly path: string;
  readonly subjectId: string;
  readonly holder: Record<string, unknown>;
  readonly name: string;
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** a spec split once: the walk to the holder, the field's name, and the subject's path */
type CompiledSpec = {
  readonly toHolder: readonly string[];
  readonly name: string;
  readonly subject: readonly string[];
};

const COMPILED: Readonly<Record<string, readonly CompiledSpec[]>> = Object.fromEntries(
  Object.entries(ENCRYPTED_FIELDS).map(([type, specs]) => [
    type,
    specs.map((spec) => {
      const toHolder = spec.path.split('.');
      const name = toHolder.pop()!;
      return { toHolder, name, subject: spec.subject.split('.') };
    }),
  ]),
);

/**
 * The encrypted fields `event` holds (any value but absent or null), pointing into `event` itself: a
 * caller that changes them works on its own copy (personalFieldsOfCopy).
 */
export function personalFieldsOf(type: string, event: { data: unknown }): PersonalField[] {
  return walkFields(type, event as Json, false);
}

/**
 * A copy of `event` whose objects on the way to its encrypted fields are fresh (everything else shared),
 * with those fields pointing into the copy: what a reader or writer changes there changes no one else's
 * event. Cheaper than a deep copy: a message's data is copied, its attachment and reactions are not.
 */
export function personalFieldsOfCopy<E extends { type: string; data: unknown }>(
  event: E,
): { copy: E; fields: PersonalField[] } {
  const copy = { ...event };
  return { copy, fields: walkFields(event.type, copy as unknown as Json, true) };
}

function walkFields(type: string, root: Json, copying: boolean): PersonalField[] {
  const specs = COMPILED[type];
  if (!specs) return [];
  const fields: PersonalField[] = [];
  // the objects already copied: two fields in one object (a message's content and sender name) share it
  const fresh = copying ? new WeakSet<object>([root]) : null;
  for (const spec of specs) {
    const found: Found[] = [];
    collect(root, spec.toHolder, 0, '', null, fresh, found);
    for (const { holder, prefix, index } of found) {
      const value = holder[spec.name];
      if (value === undefined || value === null) continue;
      const subjectId = valueAt(root, spec.subject, index);
      if (typeof subjectId !== 'string') continue;
      fields.push({
        path: joinPath(prefix, spec.name),
        subjectId,
        holder,
        name: spec.name,
      });
    }
  }
  return fields;
}

type Found = { holder: Json; prefix: string; index: number | null };

const joinPath = (prefix: string, key: string) => (prefix === '' ? key : `${prefix}.${key}`);

/** `child` itself when nothing is copied or it is a copy already, else a fresh copy of it */
function owned(child: object, fresh: WeakSet<object> | null): object {
  if (!fresh || fresh.has(child)) return child;
  const copy = Array.isArray(child) ? [...child] : { ...child };
  fresh.add(copy);
  return copy;
}

/**
 * the objects at `segments` below `value` (`*`: every element); with `fresh`, each object on the way that
 * is not in it yet is replaced by a copy (and added)
 */
function collect(
  value: Json | unknown[],
  segments: readonly string[],
  depth: number,
  prefix: string,
  index: number | null,
  fresh: WeakSet<object> | null,
  found: Found[],
): void {
  if (depth === segments.length) {
    if (isObject(value)) found.push({ holder: value, prefix, index });
    return;
  }
  const segment = segments[depth]!;
  if (segment === '*') {
    if (!Array.isArray(value)) return;
    value.forEach((element, i) => {
      if (element === null || typeof element !== 'object') return;
      const next = owned(element, fresh);
      if (next !== element) value[i] = next;
      collect(next as Json, segments, depth + 1, joinPath(prefix, String(i)), i, fresh, found);
    });
    return;
  }
  if (!isObject(value) || !Object.hasOwn(value, segment)) return;
  const child = value[segment];
  if (child === null || typeof child !== 'object') return;
  const next = owned(child, fresh);
  if (next !== child) value[segment] = next;
  collect(next as Json, segments, depth + 1, joinPath(prefix, segment), index, fresh, found);
}

/** the value at `path`, a `*` standing for element `index` */
function valueAt(root: Json, path: readonly string[], index: number | null): unknown {
  let value: unknown = root;
  for (const segment of path) {
    const key = segment === '*' ? String(index) : segment;
    if (Array.isArray(value)) value = value[Number(key)];
    else if (isObject(value) && Object.hasOwn(value, key)) value = value[key];
    else return undefined;
  }
  return value;
}

/** the subjects whose keys encrypt fields of this event type, whether the fields still hold text or not */
export function subjectsOf(type: string, event: { data: unknown }): Set<string> {
  const subjects = new Set<string>();
  for (const spec of COMPILED[type] ?? []) {
    const toSubject = spec.subject.slice(0, -1);
    const name = spec.subject.at(-1)!;
    const found: Found[] = [];
    collect(event as Json, toSubject, 0, '', null, null, found);
    for (const { holder } of found) {
      if (typeof holder[name] === 'string') subjects.add(holder[name]);
    }
  }
  return subjects;
}

export const ENCRYPTED_EVENT_TYPES: readonly string[] = Object.keys(ENCRYPTED_FIELDS);
