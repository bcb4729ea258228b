import { describe, expect, it } from 'vitest';
import {
  append,
  asStream,
  checkpoint,
  exportLines,
  interleave,
  newSampleLog,
  ORIGIN,
  roomStory,
} from './fixtures/sampleLog.ts';
import { generateNoteKeys, parseSignerKey, signNote } from './signedNote.ts';
import { verifyExport } from './verifyExport.ts';

async function sampleWithTwoRooms() {
  const sample = newSampleLog();
  append(sample, interleave(roomStory('room-a', 6), roomStory('room-b', 4)));
  append(sample, [
    // an event of no room is in the global log, in no room's tree
    {
      ...sample.appended[0]!.event,
      id: '00000000-0000-4000-8000-999999999999',
      stream: 'blocks-u1',
      type: 'UserBlocked',
      data: { userId: 'u1', blockedUserId: 'u2' },
      metadata: { actorId: 'u1', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 },
    },
  ]);
  checkpoint(sample);
  return sample;
}

const parse = (line: string) => JSON.parse(line);
const eventLines = (lines: string[]) => lines.flatMap((l, i) => (parse(l).t === 'event' ? [i] : []));

describe('a room export', () => {
  it('verifies with the log key: every event of the room, in order, each proven in the signed tree', async () => {
    const sample = await sampleWithTwoRooms();
    const lines = await exportLines(sample, ['room-a']);
    const result = await verifyExport(asStream(lines), sample.verifierKey);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const roomA = sample.appended.filter((a) => a.stored.roomId === 'room-a');
    expect(result.export.events).toBe(roomA.length);
    expect(result.export.rooms).toEqual([{ roomId: 'room-a', events: roomA.length }]);
    expect(result.export.checkpoint.size).toBe(sample.log.size);
    const exported = eventLines(lines).map((i) => parse(lines[i]!));
    expect(exported.map((e) => e.leaf.event.id)).toEqual(roomA.map((a) => a.event.id));
    // the original text of an edited, hidden, then deleted message is there, with everything the auditor needs
    const sent = exported.find(
      (e) => e.leaf.event.type === 'MessageSent' && e.leaf.event.data.messageId === 'room-a-m0',
    );
    expect(sent.texts['data.content']).toBe('message 0 in room-a: the boiler is fixed');
    expect(Object.keys(sent.salts).sort()).toEqual(['data.content', 'data.senderUsername']);
    expect(exported.map((e) => e.leaf.event.type)).toEqual(
      expect.arrayContaining(['MessageEdited', 'MessageHidden', 'MessageDeleted']),
    );
  });

  it('verifies an export of several rooms, and one taken at an earlier checkpoint', async () => {
    const sample = await sampleWithTwoRooms();
    const early = sample.checkpoints[0]!;
    append(sample, roomStory('room-c', 2));
    checkpoint(sample);
    const both = await verifyExport(
      asStream(await exportLines(sample, ['room-b', 'room-a'])),
      sample.verifierKey,
    );
    expect(both.ok && both.export.rooms.map((r) => r.roomId)).toEqual(['room-a', 'room-b']);
    const old = await verifyExport(
      asStream(await exportLines(sample, ['room-a'], { at: early })),
      sample.verifierKey,
    );
    expect(old.ok && old.export.checkpoint.size).toBe(early.checkpoint.size);
  });

  it('still verifies after message text is erased, and no longer contains that text', async () => {
    const sample = await sampleWithTwoRooms();
    const target = sample.appended.find(
      (a) =>
        a.event.type === 'MessageSent' && (a.event.data as { messageId: string }).messageId === 'room-a-m1',
    )!;
    const editEvent = sample.appended.find(
      (a) => a.event.type === 'MessageEdited' && a.stored.roomId === 'room-a',
    )!;
    const lines = await exportLines(sample, ['room-a'], {
      // the text of one message is removed from the store; the edit's secret is destroyed
      replace: (e) =>
        e.id === target.event.id ? { ...e, data: { ...(e.data as object), content: null } } : e,
      secretless: new Set([editEvent.event.id]),
    });
    const result = await verifyExport(asStream(lines), sample.verifierKey);
    expect(result.ok).toBe(true);
    const file = lines.join('');
    expect(file).not.toContain('message 1 in room-a');
    expect(file).not.toContain('edited text');
    const erasedLine = lines.map(parse).find((l) => l.t === 'event' && l.leaf.event.id === target.event.id);
    expect(erasedLine.texts['data.content']).toBeUndefined();
    expect(Object.keys(erasedLine.texts)).toEqual(['data.senderUsername']);
    expect(Object.keys(erasedLine.leaf.commitments)).toContain('data.content');
  });
});

describe('a changed export fails, naming the event and the reason', () => {
  async function roomAExport() {
    const sample = await sampleWithTwoRooms();
    return { sample, lines: await exportLines(sample, ['room-a']) };
  }
  async function failureOf(lines: string[], key: string) {
    const result = await verifyExport(asStream(lines), key);
    expect(result.ok).toBe(false);
    return result.ok ? null : result.failure;
  }

  it('one byte of a message edited', async () => {
    const { sample, lines } = await roomAExport();
    const k = lines.findIndex((l) => l.includes('message 2 in room-a'));
    const changed = [...lines];
    changed[k] = changed[k]!.replace('message 2 in room-a', 'message 3 in room-a');
    const failure = await failureOf(changed, sample.verifierKey);
    expect(failure).toMatchObject({
      line: k + 1,
      roomIndex: parse(lines[k]!).ri,
      eventId: parse(lines[k]!).leaf.event.id,
    });
    expect(failure!.reason).toMatch(/not the text the log committed to/);
  });

  it('one byte of a non-text field (the actor) edited', async () => {
    const { sample, lines } = await roomAExport();
    const k = eventLines(lines)[3]!;
    const changed = [...lines];
    changed[k] = changed[k]!.replace('"actorId":"u', '"actorId":"x');
    const failure = await failureOf(changed, sample.verifierKey);
    expect(failure).toMatchObject({ line: k + 1, eventId: parse(lines[k]!).leaf.event.id });
    expect(failure!.reason).toMatch(/not the log's event/);
  });

  it('an event dropped from the middle, and the last event dropped', async () => {
    const { sample, lines } = await roomAExport();
    const events = eventLines(lines);
    const middle = events[4]!;
    const dropped = lines.filter((_, i) => i !== middle);
    const failure = await failureOf(dropped, sample.verifierKey);
    expect(failure).toMatchObject({ line: middle + 1, eventId: parse(lines[middle + 1]!).leaf.event.id });
    expect(failure!.reason).toMatch(/events 4 to 4 are missing/);

    const last = events[events.length - 1]!;
    const endLine = parse(lines[lines.length - 1]!);
    const withoutLast = lines.filter((_, i) => i !== last);
    withoutLast[withoutLast.length - 1] = `${JSON.stringify({ ...endLine, events: endLine.events - 1 })}\n`;
    expect((await failureOf(withoutLast, sample.verifierKey))!.reason).toMatch(
      /has \d+ events, the file has \d+: events are missing/,
    );
  });

  it('two events swapped', async () => {
    const { sample, lines } = await roomAExport();
    const [a, b] = [eventLines(lines)[2]!, eventLines(lines)[3]!];
    const swapped = [...lines];
    [swapped[a], swapped[b]] = [swapped[b]!, swapped[a]!];
    const failure = await failureOf(swapped, sample.verifierKey);
    // the later event, now first, is where the room's sequence breaks
    expect(failure).toMatchObject({ line: a + 1, eventId: parse(lines[b]!).leaf.event.id });
    expect(failure!.reason).toMatch(/missing before this one \(dropped, or out of order\)/);

    // in an export of two rooms, a swap across rooms breaks the global order
    const two = await exportLines(sample, ['room-a', 'room-b']);
    const events = eventLines(two);
    const crossing = events.findIndex(
      (i, n) => n > 0 && parse(two[i]!).room !== parse(two[events[n - 1]!]!).room,
    );
    const [c, d] = [events[crossing - 1]!, events[crossing]!];
    const crossed = [...two];
    [crossed[c], crossed[d]] = [crossed[d]!, crossed[c]!];
    const across = await failureOf(crossed, sample.verifierKey);
    expect(across).toMatchObject({ line: d + 1, eventId: parse(two[c]!).leaf.event.id });
    expect(across!.reason).toMatch(/out of order/);
  });

  it("a forged event added (with a real event's proof)", async () => {
    const { sample, lines } = await roomAExport();
    const k = eventLines(lines)[5]!;
    const model = parse(lines[k]!);
    const forged = {
      ...model,
      ri: model.ri + 1,
      leaf: {
        ...model.leaf,
        event: { ...model.leaf.event, id: 'forged', data: { ...model.leaf.event.data } },
      },
    };
    const added = [...lines.slice(0, k + 1), `${JSON.stringify(forged)}\n`, ...lines.slice(k + 1)];
    const failure = await failureOf(added, sample.verifierKey);
    expect(failure).toMatchObject({ line: k + 2, eventId: 'forged' });
  });

  it('a wrong key, and a checkpoint re-signed with another key', async () => {
    const { sample, lines } = await roomAExport();
    const other = generateNoteKeys(ORIGIN);
    const failure = await failureOf(lines, other.verifierKey);
    expect(failure).toMatchObject({ line: 1 });
    expect(failure!.reason).toMatch(/not signed by this key/);
    // someone who holds another key re-signs the same tree head: the pinned key is what counts
    const header = JSON.parse(lines[0]!);
    const body = header.checkpoint.slice(0, header.checkpoint.lastIndexOf('\n\n') + 1);
    const resigned = [
      `${JSON.stringify({ ...header, checkpoint: signNote(body, [parseSignerKey(other.signerKey)]) })}\n`,
      ...lines.slice(1),
    ];
    expect((await failureOf(resigned, sample.verifierKey))!.reason).toMatch(/no signature of a trusted key/);
    expect((await failureOf(lines, 'not a key'))!.reason).toMatch(/not a verifier key/);
  });

  it('a truncated file: cut in a line, and cut between lines', async () => {
    const { sample, lines } = await roomAExport();
    const file = lines.join('');
    const cutInLine = file.slice(0, file.length - 200);
    expect((await failureOf([cutInLine], sample.verifierKey))!.reason).toMatch(/truncated/);
    const cutAtLine = lines.slice(0, eventLines(lines)[6]!);
    expect((await failureOf(cutAtLine, sample.verifierKey))!.reason).toMatch(/truncated/);
  });

  it('a changed proof element, room head, or base64 spelling of a hash', async () => {
    const { sample, lines } = await roomAExport();
    // an event whose line carries siblings, past the first (which proves the others)
    const k = eventLines(lines).find((i) => parse(lines[i]!).ri > 0 && parse(lines[i]!).proof.length > 0)!;
    const line = parse(lines[k]!);
    const top = line.proof.length - 1;
    const flipped = {
      ...line,
      proof: line.proof.map((p: string, j: number) =>
        j === top
          ? Buffer.from(Buffer.from(p, 'base64').map((b, x) => (x === 0 ? b ^ 1 : b))).toString('base64')
          : p,
      ),
    };
    const changed = [...lines];
    changed[k] = `${JSON.stringify(flipped)}\n`;
    expect((await failureOf(changed, sample.verifierKey))!.eventId).toBe(line.leaf.event.id);

    const head = lines.findIndex((l) => parse(l).t === 'roomHead');
    const grown = [...lines];
    grown[head] = `${JSON.stringify({ ...parse(lines[head]!), size: parse(lines[head]!).size + 1 })}\n`;
    expect((await failureOf(grown, sample.verifierKey))!.reason).toMatch(
      /not in the checkpoint's room heads/,
    );

    // a hash whose padding bits differ decodes to the same bytes in lenient decoders
    const respelled = {
      ...line,
      proof: line.proof.map((p: string, j: number) =>
        j === 0 ? `${p.slice(0, 42)}${String.fromCharCode(p.charCodeAt(42) + 1)}=` : p,
      ),
    };
    const spelled = [...lines];
    spelled[k] = `${JSON.stringify(respelled)}\n`;
    expect((await failureOf(spelled, sample.verifierKey))!.eventId).toBe(line.leaf.event.id);
  });

  it('a revealed text given twice, or the line respelled, even to the same values', async () => {
    const { sample, lines } = await roomAExport();
    const k = lines.findIndex((l) => l.includes('message 2 in room-a'));
    const twice = [...lines];
    // a reader taking the first of two members would show the first text, JSON.parse the second
    twice[k] = lines[k]!.replace('"texts":{', '"texts":{"data.content":"I never said that",');
    const failure = await failureOf(twice, sample.verifierKey);
    expect(failure).toMatchObject({ line: k + 1, eventId: parse(lines[k]!).leaf.event.id });
    expect(failure!.reason).toMatch(/not written as an export writes it/);
    const spaced = [...lines];
    spaced[k] = lines[k]!.replace('"ri":', '"ri": ');
    expect((await failureOf(spaced, sample.verifierKey))!.reason).toMatch(
      /not written as an export writes it/,
    );
  });

  it('the line with a member added, its members reordered, or its revealed fields reordered', async () => {
    const { sample, lines } = await roomAExport();
    const k = lines.findIndex((l) => l.includes('message 2 in room-a'));
    const { leaf, t, room, ri, proof, salts, texts } = parse(lines[k]!);
    expect(Object.keys(salts).length).toBeGreaterThan(1);
    const reversed = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).reverse());
    const changes = {
      added: { t, room, ri, proof, salts, texts, note: 'approved by legal' },
      reordered: { room, t, ri, proof, salts, texts },
      'fields reordered': { t, room, ri, proof, salts: reversed(salts), texts: reversed(texts) },
    };
    for (const [change, members] of Object.entries(changes)) {
      const changed = [...lines];
      changed[k] = `${JSON.stringify(members).slice(0, -1)},"leaf":${JSON.stringify(leaf)}}\n`;
      const failure = await failureOf(changed, sample.verifierKey);
      expect(failure, change).toMatchObject({ line: k + 1, eventId: leaf.event.id });
      expect(failure!.reason, change).toMatch(/not written as an export writes it/);
    }
    // the same members rebuilt in the writer's order are the line as written
    const rebuilt = `${JSON.stringify({ t, room, ri, proof, salts, texts }).slice(0, -1)},"leaf":${JSON.stringify(leaf)}}\n`;
    expect(rebuilt).toBe(lines[k]);
  });

  it('crafted field paths fail the event and reach nothing outside it', async () => {
    const { sample, lines } = await roomAExport();
    const k = eventLines(lines)[2]!;
    const line = parse(lines[k]!);
    const salt = Object.values(line.salts)[0];
    for (const path of ['constructor.prototype.toString', '__proto__.hasOwnProperty', '__proto__']) {
      const crafted = [...lines];
      const { leaf, ...rest } = line;
      // in path order, as a writer would list them, so that only the path itself is wrong
      const sorted = (o: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
      crafted[k] =
        `${JSON.stringify({ ...rest, salts: sorted({ ...line.salts, [path]: salt }), texts: sorted({ ...line.texts, [path]: 'x' }), leaf })}\n`;
      const failure = await failureOf(crafted, sample.verifierKey);
      expect(failure).toMatchObject({ line: k + 1, eventId: line.leaf.event.id });
      expect(failure!.reason).toMatch(/not a field the leaf committed to|name different fields/);
      const salted = [...lines];
      salted[k] = `${JSON.stringify({ ...rest, salts: sorted({ ...line.salts, [path]: salt }), leaf })}\n`;
      expect((await failureOf(salted, sample.verifierKey))!.reason).toMatch(/name different fields/);
    }
    expect(typeof Object.prototype.toString).toBe('function');
    expect(typeof Object.prototype.hasOwnProperty).toBe('function');
  });

  it('an event of another room slipped in, and lines after the end', async () => {
    const { sample, lines } = await roomAExport();
    const roomB = await exportLines(sample, ['room-b']);
    const foreign = roomB[eventLines(roomB)[2]!]!;
    const k = eventLines(lines).find(
      (i) => parse(lines[i]!).leaf.event.position > parse(foreign).leaf.event.position,
    )!;
    const mixed = [...lines.slice(0, k), foreign, ...lines.slice(k)];
    expect((await failureOf(mixed, sample.verifierKey))!.reason).toMatch(/not of an exported room/);
    expect((await failureOf([...lines, lines[1]!], sample.verifierKey))!.reason).toMatch(
      /more after the end/,
    );
  });
});
