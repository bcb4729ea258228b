// Attachments on local disk: <dir>/<id> holds the bytes, <dir>/<id>.json the facts. Ids are uuids chosen
// by the server, so no client input ever becomes part of a path.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { validate as isUuid } from 'uuid';
import type { AttachmentStorage, StoredAttachment } from './attachmentStorage.ts';

export async function createLocalDiskStorage(directory: string): Promise<AttachmentStorage> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const pathOf = (id: string) => {
    if (!isUuid(id)) throw new Error(`Not an attachment id: ${id}`);
    return join(directory, id);
  };
  // write then rename: a crash never leaves a half-written file under its final name
  const writeAtomically = async (path: string, data: Uint8Array | string) => {
    await writeFile(`${path}.tmp`, data, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  };

  const describe = async (id: string): Promise<StoredAttachment | null> => {
    if (!isUuid(id)) return null;
    try {
      return JSON.parse(await readFile(`${pathOf(id)}.json`, 'utf8')) as StoredAttachment;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };

  const list = async (): Promise<StoredAttachment[]> => {
    const found: StoredAttachment[] = [];
    for (const name of await readdir(directory)) {
      const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : null;
      if (!id || !isUuid(id)) continue;
      const attachment = await describe(id);
      if (attachment) found.push(attachment);
    }
    return found;
  };
  return {
    async save(attachment, content) {
      const path = pathOf(attachment.id);
      await writeAtomically(path, content);
      // the facts last: describe() finds an attachment only once its bytes are complete
      await writeAtomically(`${path}.json`, JSON.stringify(attachment));
    },
    describe,
    open(id): Readable {
      return createReadStream(pathOf(id));
    },
    list,
    async deleteMatching(match) {
      const deleted: string[] = [];
      for (const attachment of await list()) {
        if (!match(attachment)) continue;
        // the facts first: from then on nothing describes it, so nothing serves half of it
        await rm(`${pathOf(attachment.id)}.json`, { force: true });
        await rm(pathOf(attachment.id), { force: true });
        deleted.push(attachment.id);
      }
      return deleted;
    },
  };
}
