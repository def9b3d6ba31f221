import { Injectable } from '@nestjs/common';
import { DomainError, type FieldError } from '#core';
import { citizenNotificationMail } from '#notifications';
import { VISIBILITIES, type Visibility } from '../demands.types.js';
import { DemandErrorCodes } from '../demands.errors.js';
import type { DemandMessage } from '../entities/demand-message.entity.js';
import type { Attachment } from '../entities/attachment.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import type { StoredFile } from '../storage/attachment-storage.js';
import { historyActorOf, isStaff, requireAccess, scopeOf, type EngineCaller } from './access.js';
import { loadDemandFor } from './demand-access.js';
import { engineErrors } from './engine.errors.js';
import { contactEmailOf, writeJobs } from './workflow-outcome.js';
import type { UploadedFile } from './submit-demand.use-case.js';
import { typedText } from './command-inputs.js';

export const MESSAGE_MAX_LENGTH = 10_000;
export const MESSAGE_MAX_FILES = 5;
export const MESSAGE_MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface PostMessageInput {
  demandId: string;
  body: unknown;
  /** Agents and partners only: `citizen` (default) or `internal`. Citizens always write `citizen` messages. */
  visibility?: unknown;
  files?: unknown;
}

export class PostMessageCommand {
  private constructor(
    readonly caller: EngineCaller,
    readonly demandId: string,
    readonly body: string,
    readonly visibility: Visibility,
    readonly files: readonly Omit<UploadedFile, 'fieldId'>[],
  ) {}

  static create(caller: EngineCaller, input: PostMessageInput): PostMessageCommand {
    const fields: FieldError[] = [];
    const body = typedText(input.body);
    if (!body) fields.push({ path: 'body', code: 'REQUIRED', message: 'Écrivez votre message.' });
    else if (body.length > MESSAGE_MAX_LENGTH) fields.push({ path: 'body', code: 'TOO_LONG', message: `${MESSAGE_MAX_LENGTH} caractères au plus.` });
    let visibility: Visibility = 'citizen';
    if (input.visibility !== undefined) {
      if (!VISIBILITIES.includes(input.visibility as Visibility)) fields.push({ path: 'visibility', code: 'NOT_AN_OPTION', message: 'Visibilité attendue : citizen ou internal.' });
      else if (input.visibility === 'internal' && !isStaff(caller))
        fields.push({ path: 'visibility', code: 'NOT_AN_OPTION', message: 'Seuls les agents écrivent des messages internes.' });
      else visibility = input.visibility as Visibility;
    }
    const files: Omit<UploadedFile, 'fieldId'>[] = [];
    if (input.files !== undefined) {
      if (!Array.isArray(input.files)) fields.push({ path: 'files', code: 'INVALID_TYPE', message: 'Liste de fichiers attendue.' });
      else if (input.files.length > MESSAGE_MAX_FILES) fields.push({ path: 'files', code: 'TOO_MANY_FILES', message: `${MESSAGE_MAX_FILES} fichiers au plus.` });
      else
        input.files.forEach((raw: unknown, i) => {
          const file = raw as Partial<UploadedFile> | null;
          if (!file || typeof file.name !== 'string' || file.name.trim() === '' || file.name.length > 255 || !Buffer.isBuffer(file.content)) {
            fields.push({ path: `files[${i}]`, code: 'INVALID_TYPE', message: 'Fichier attendu : nom et contenu.' });
          } else files.push({ name: file.name.split(/[/\\]/).pop()!.trim() || 'fichier', content: file.content });
        });
    }
    if (fields.length) throw engineErrors.requestInvalid(fields);
    return new PostMessageCommand(caller, input.demandId, body, visibility, files);
  }
}

export interface PostMessageResult {
  message: DemandMessage;
  attachments: Attachment[];
}

/**
 * A message on a demand (citizen ↔ agents, or internal between agents), with files stored first and deleted
 * again if anything fails. One transaction: the message, its files, a history event of the same visibility, and
 * — for an agent's message to the citizen — a mail telling the citizen (outbox).
 */
@Injectable()
export class PostMessage {
  constructor(private readonly engine: DemandEngine) {}

  async execute(command: PostMessageCommand): Promise<PostMessageResult> {
    requireAccess(command.caller, 'demands:write');
    const stored: StoredFile[] = [];
    try {
      for (const [i, file] of command.files.entries()) {
        try {
          stored.push(await this.engine.storage.put(file.content, { maxBytes: MESSAGE_MAX_FILE_BYTES }));
        } catch (error) {
          if (error instanceof DomainError && error.code === DemandErrorCodes.ATTACHMENT_TOO_LARGE) {
            throw engineErrors.requestInvalid([{ path: `files[${i}]`, code: 'FILE_TOO_LARGE', message: error.message }]);
          }
          throw error;
        }
      }
      const now = this.engine.clock.now();
      return await this.engine.transaction(scopeOf(command.caller), async (manager) => {
        const demand = await loadDemandFor(manager, command.caller, command.demandId);
        const repository = new DemandRepository(manager);
        const author = historyActorOf(command.caller);
        const message = await repository.insertMessage(demand, { author, body: command.body, visibility: command.visibility, at: now });
        const attachments: Attachment[] = [];
        for (const [i, file] of stored.entries()) {
          attachments.push(
            await repository.insertAttachment(demand, {
              messageId: message.id,
              storageKey: file.key,
              fileName: command.files[i].name,
              mimeType: file.mimeType,
              sizeBytes: file.sizeBytes,
              sha256: file.sha256,
              at: now,
            }),
          );
        }
        await repository.appendEvent(demand, {
          at: now,
          kind: 'message',
          actor: author,
          visibility: command.visibility,
          payload: { messageId: message.id, files: attachments.length },
        });
        if (isStaff(command.caller) && command.visibility === 'citizen') {
          const definition = await this.engine.definitions.get(demand.versionId);
          const to = definition ? contactEmailOf(definition, demand.data) : null;
          if (to) {
            const code = demand.trackingCode;
            // In the collectivity's frame (#notifications' template; its logo and colour added by the worker).
            const mail = citizenNotificationMail({
              collectivityName: await this.engine.directory.nameOf(demand.collectivityId),
              subject: `Nouveau message sur votre demande ${code}`,
              text: `Bonjour,\n\nVous avez reçu un nouveau message au sujet de votre demande ${code}. Consultez-la sur le portail pour le lire et y répondre.`,
            });
            await writeJobs(this.engine.outbox, manager, [
              {
                job: 'mail.send',
                payload: { to, subject: mail.subject, text: mail.text, html: mail.html, brand: { collectivityId: demand.collectivityId } },
                key: `demand/${demand.id}/message-${message.id}/email`,
              },
            ]);
          }
        }
        return { message, attachments };
      });
    } catch (error) {
      await this.engine.discardFiles(stored.map((file) => file.key));
      throw error;
    }
  }
}
