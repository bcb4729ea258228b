// Uploads and downloads of message attachments. The type is sniffed from the bytes (magic numbers) and
// checked against an allow-list; the client's file name and Content-Type are never trusted. Only
// participants of the room may upload to it or fetch from it; everyone else gets 404. An image's size in
// pixels is read from its header and capped: it is never decoded here, and a small file that declares a
// huge image (a decompression bomb for whoever renders it) is refused.
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import { v4 as uuidv4 } from 'uuid';
import { z } from 'zod';
import { Uuid } from '../contract/resources.ts';
import { type StoredAttachment, sanitizeFileName } from '../storage/attachmentStorage.ts';
import { requireRoomParticipant } from './access.ts';
import { HttpProblem, notFound } from './problems.ts';

/** Types a browser or phone can show safely once served as a download; nothing that runs script. */
export const ALLOWED_ATTACHMENT_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
]);

/** Width × height as the image's header declares it; null when the header cannot be read. */
export function declaredPixels(content: Buffer): number | null {
  try {
    // a copy of its own: image-size reads through the whole ArrayBuffer under a view, and a small upload
    // is a slice of Node's shared pool, so a header cut short would be completed with someone else's bytes
    const { width, height } = imageSize(new Uint8Array(content));
    return width * height;
  } catch {
    return null;
  }
}

/**
 * The part named "file" (undefined when the first file part has another name). The multipart parser's own
 * complaints (a body cut off before its closing boundary, a bad part header) carry no status: they are the
 * client's malformed body, a 400; its limits (413) keep theirs.
 */
async function readFilePart(
  request: FastifyRequest,
): Promise<{ fileName: string; content: Buffer } | undefined> {
  try {
    const file = await request.file();
    if (file?.fieldname !== 'file') return undefined;
    // stops and answers 413 as soon as the limit is passed
    return { fileName: file.filename, content: await file.toBuffer() };
  } catch (error) {
    if (!(error instanceof Error) || (error as { statusCode?: unknown }).statusCode !== undefined)
      throw error;
    throw new HttpProblem(
      400,
      'malformed_multipart',
      'The upload is not complete multipart/form-data (cut off before its closing boundary?)',
      'body',
    );
  }
}

const UploadedSchema = z
  .object({
    id: Uuid,
    room: Uuid,
    file_name: z.string(),
    content_type: z.string(),
    size: z.number().int(),
    created_at: z.string(),
  })
  .meta({ id: 'UploadedAttachment' });

function uploadedJson(attachment: StoredAttachment): z.infer<typeof UploadedSchema> {
  return {
    id: attachment.id,
    room: attachment.roomId,
    file_name: attachment.fileName,
    content_type: attachment.contentType,
    size: attachment.sizeBytes,
    created_at: attachment.createdAt,
  };
}

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name, so no client can read a header out of a name. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export const attachmentRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const maxBytes = fastify.config.ATTACHMENTS_MAX_BYTES;
  const maxPixels = fastify.config.ATTACHMENTS_MAX_IMAGE_PIXELS;
  await fastify.register(multipart, {
    // other form fields are tolerated (and ignored); one file only
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 11, headerPairs: 100 },
  });

  fastify.post(
    '/rooms/:room_id/attachments/',
    {
      config: { rateLimit: 'upload' },
      schema: {
        tags: ['attachments'],
        summary: 'Upload a file to a room (multipart/form-data, one part named "file")',
        description: `PNG, JPEG, GIF, WebP or PDF, judged by the content; at most ${maxBytes} bytes. Send the
returned id as \`attachment_id\` with a message in the same room.`,
        operationId: 'uploadAttachment',
        consumes: ['multipart/form-data'],
        params: z.object({ room_id: Uuid }),
        response: { 201: UploadedSchema },
        problems: [
          'not_found',
          'unsupported_media_type',
          'malformed_multipart',
          'validation_failed',
          'body_too_large',
          'attachment_type_not_allowed',
          'image_too_large',
        ],
      },
    },
    async (request, reply) => {
      const { room_id: roomId } = request.params;
      // before reading a byte of the upload: a non-participant learns nothing and costs nothing
      await requireRoomParticipant(fastify.pg, roomId, request.user.userId);
      if (!request.isMultipart()) {
        throw new HttpProblem(415, 'unsupported_media_type', 'Send multipart/form-data with a "file" part');
      }
      const upload = await readFilePart(request);
      if (!upload) {
        throw new HttpProblem(400, 'validation_failed', 'Send the file in a part named "file"', 'body.file');
      }
      const { fileName, content } = upload;
      if (content.length === 0)
        throw new HttpProblem(400, 'validation_failed', 'The file is empty', 'body.file');
      const sniffed = await fileTypeFromBuffer(content);
      if (!sniffed || !ALLOWED_ATTACHMENT_TYPES.has(sniffed.mime)) {
        throw new HttpProblem(
          415,
          'attachment_type_not_allowed',
          'Only PNG, JPEG, GIF, WebP and PDF files are accepted',
          'body.file',
        );
      }
      if (sniffed.mime.startsWith('image/')) {
        const pixels = declaredPixels(content);
        if (pixels === null) {
          throw new HttpProblem(
            415,
            'attachment_type_not_allowed',
            'The image header cannot be read',
            'body.file',
          );
        }
        if (pixels > maxPixels) {
          throw new HttpProblem(
            422,
            'image_too_large',
            `The image declares ${pixels} pixels; at most ${maxPixels} are accepted`,
            'body.file',
          );
        }
      }
      const attachment: StoredAttachment = {
        id: uuidv4(),
        roomId,
        uploaderId: request.user.userId,
        fileName: sanitizeFileName(fileName),
        contentType: sniffed.mime,
        sizeBytes: content.length,
        createdAt: new Date().toISOString(),
      };
      await fastify.attachments.save(attachment, content);
      return reply.code(201).send(uploadedJson(attachment));
    },
  );

  fastify.get(
    '/attachments/:id/',
    {
      schema: {
        tags: ['attachments'],
        operationId: 'downloadAttachment',
        summary: 'Download an attachment (participants of its room only)',
        description:
          'Served as a download (Content-Disposition: attachment) with X-Content-Type-Options: nosniff and a sandboxing CSP, as the type its bytes were found to be at upload.',
        params: z.object({ id: Uuid }),
        produces: [...ALLOWED_ATTACHMENT_TYPES],
        response: { 200: z.any().describe('the file') },
        responseHeaders: [
          'Content-Disposition',
          'Cache-Control',
          'Content-Security-Policy',
          'X-Content-Type-Options',
        ],
        problems: ['not_found'],
      },
    },
    async (request, reply) => {
      const attachment = await fastify.attachments.describe(request.params.id);
      if (!attachment) throw notFound('Attachment');
      await requireRoomParticipant(fastify.pg, attachment.roomId, request.user.userId, 'Attachment');
      return reply
        .header('Content-Type', attachment.contentType)
        .header('Content-Length', attachment.sizeBytes)
        .header('Content-Disposition', contentDisposition(attachment.fileName))
        .header('X-Content-Type-Options', 'nosniff')
        .header('Content-Security-Policy', "default-src 'none'; sandbox")
        .header('Cache-Control', 'private, no-store')
        .send(fastify.attachments.open(attachment.id));
    },
  );
};
