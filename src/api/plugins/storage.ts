// fastify.attachments: where uploaded files are kept (local disk under ATTACHMENTS_DIR by default).
import fp from 'fastify-plugin';
import type { AttachmentStorage } from '../../storage/attachmentStorage.ts';
import { createLocalDiskStorage } from '../../storage/localDiskStorage.ts';

declare module 'fastify' {
  interface FastifyInstance {
    attachments: AttachmentStorage;
  }
}

export type StoragePluginOptions = { directory: string; storage?: AttachmentStorage };

export const storagePlugin = fp<StoragePluginOptions>(
  async (fastify, options) => {
    fastify.decorate('attachments', options.storage ?? (await createLocalDiskStorage(options.directory)));
  },
  { name: 'attachment-storage' },
);
