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

/**
 * The encrypted fields `event` holds (any value but absent or null), pointing into `event` itself: a
 * caller that changes them works on its own copy.
 */
export function personalFieldsOf(type: string, event: { data: unknown }): PersonalField[] {
  const specs = ENCRYPTED_FIELDS[type];
  if (!specs) return [];
  const fields: PersonalField[] = [];
  for (const spec of specs) {
    const segments = spec.path.split('.');
    const name = segments.pop()!;
    for (const { holder, prefix, index } of holders(event as Json, segments)) {
      const value = holder[name];
      if (value === undefined || value === null) continue;
      const subjectId = valueAt(event as Json, spec.subject.replace('*', String(index)));
      if (typeof subjectId !== 'string') continue;
      fields.push({ path: [...prefix, name].join('.'), subjectId, holder, name });
    }
  }
  return fields;
}

function* holders(
  root: Json,
  segments: readonly string[],
): Generator<{ holder: Json; prefix: string[]; index: number | null }> {
  let current: { value: unknown; prefix: string[]; index: number | null }[] = [
    { value: root, prefix: [], index: null },
  ];
  for (const segment of segments) {
    const next: typeof current = [];
    for (const { value, prefix, index } of current) {
      if (segment === '*') {
        if (!Array.isArray(value)) continue;
        for (const [i, element] of value.entries()) {
          next.push({ value: element, prefix: [...prefix, String(i)], index: i });
        }
      } else if (isObject(value) && Object.hasOwn(value, segment)) {
        next.push({ value: value[segment], prefix: [...prefix, segment], index });
      }
    }
    current = next;
  }
  for (const { value, prefix, index } of current) if (isObject(value)) yield { holder: value, prefix, index };
}

function valueAt(root: Json, path: string): unknown {
  let value: unknown = root;
  for (const segment of path.split('.')) {
    if (Array.isArray(value)) value = value[Number(segment)];
    else if (isObject(value) && Object.hasOwn(value, segment)) value = value[segment];
    else return undefined;
  }
  return value;
}

/** the subjects whose keys encrypt fields of this event type, whether the fields still hold text or not */
export function subjectsOf(type: string, event: { data: unknown }): Set<string> {
  const subjects = new Set<string>();
  for (const spec of ENCRYPTED_FIELDS[type] ?? []) {
    const segments = spec.subject.split('.');
    const name = segments.pop()!;
    for (const { holder } of holders(event as Json, segments)) {
      if (typeof holder[name] === 'string') subjects.add(holder[name]);
    }
  }
  return subjects;
}

export const ENCRYPTED_EVENT_TYPES: readonly string[] = Object.keys(ENCRYPTED_FIELDS);
