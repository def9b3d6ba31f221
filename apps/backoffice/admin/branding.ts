import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, DomainError, type FieldError } from '#core';
import { Collectivity, CollectivityBranding, type LogoMediaType } from '#territory';
import type { AdminActor } from './admin-access.js';
import { AdminJournal } from './admin-journal.js';

/** Largest logo accepted (bytes). */
export const LOGO_MAX_BYTES = 200 * 1024;
/** WCAG 2.1 AA for normal text. */
export const MIN_CONTRAST = 4.5;

const channel = (value: number) => {
  const c = value / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};

/** Contrast ratio of a `#rrggbb` colour against white (1 to 21). */
export function contrastWithWhite(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  const luminance = 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
  return 1.05 / (luminance + 0.05);
}

/** The image type read from the file's first bytes (the name and the declared type are not trusted); null otherwise. SVG is refused (scripts). */
export function sniffImage(bytes: Buffer): LogoMediaType | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 6 && ['GIF87a', 'GIF89a'].includes(bytes.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

export interface BrandingInput {
  displayName: string;
  accentColor: string;
  contactEmail: string;
  logo?: Buffer | null;
  removeLogo?: boolean;
}

export interface BrandingView {
  displayName: string | null;
  accentColor: string | null;
  contactEmail: string | null;
  hasLogo: boolean;
  updatedAt: Date | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * A collectivity's branding (name shown, logo, accent colour) and its contact address (`collectivity.contact_email`,
 * where the email relay sends the demands of a commune that does not adhere). Validates everything before writing
 * anything; the accent colour must reach AA contrast (4.5:1) against white, as it carries white text.
 */
@Injectable()
export class BrandingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly journal: AdminJournal,
    private readonly clock: Clock,
  ) {}

  async get(collectivity: Collectivity): Promise<BrandingView> {
    const row = await this.dataSource.getRepository(CollectivityBranding).findOneBy({ collectivityId: collectivity.id });
    return {
      displayName: row?.displayName ?? null,
      accentColor: row?.accentColor ?? null,
      contactEmail: collectivity.contactEmail,
      hasLogo: Boolean(row?.logoMediaType),
      updatedAt: row?.updatedAt ?? null,
    };
  }

  /** The logo's bytes and type, or null. */
  async save(actor: AdminActor, collectivity: Collectivity, input: BrandingInput): Promise<void> {
    const fields: FieldError[] = [];
    const displayName = input.displayName.trim();
    if (displayName.length > 120) fields.push({ path: 'displayName', code: 'TOO_LONG', message: 'Le nom affiché fait 120 caractères au plus.' });
    const accent = input.accentColor.trim().toLowerCase();
    if (accent && !/^#[0-9a-f]{6}$/.test(accent)) {
      fields.push({ path: 'accentColor', code: 'PATTERN', message: 'Couleur attendue au format #rrvvbb, ex. #1f5fad.' });
    } else if (accent && contrastWithWhite(accent) < MIN_CONTRAST) {
      const ratio = contrastWithWhite(accent).toFixed(2).replace('.', ',');
      fields.push({
        path: 'accentColor',
        code: 'CONTRAST',
        message: `Contraste insuffisant avec le blanc : ${ratio}:1, il faut au moins 4,5:1 (niveau AA). Choisissez une couleur plus foncée.`,
      });
    }
    const contactEmail = input.contactEmail.trim().toLowerCase();
    if (contactEmail && (!EMAIL.test(contactEmail) || contactEmail.length > 254)) fields.push({ path: 'contactEmail', code: 'INVALID', message: 'Adresse électronique invalide, ex. contact@mairie.fr.' });
    let logoType: LogoMediaType | null = null;
    if (input.logo) {
      if (input.logo.length > LOGO_MAX_BYTES) fields.push({ path: 'logo', code: 'TOO_LARGE', message: `Le logo dépasse ${LOGO_MAX_BYTES / 1024} Ko.` });
      else if (!(logoType = sniffImage(input.logo))) fields.push({ path: 'logo', code: 'TYPE', message: 'Le logo doit être une image PNG, JPEG, GIF ou WebP.' });
    }
    if (fields.length) throw DomainError.invalid('BRANDING_INVALID', 'L’identité visuelle n’a pas été enregistrée : corrigez les erreurs.', fields);

    await this.dataSource.transaction(async (manager) => {
      const now = this.clock.now();
      const logoChange = input.logo && logoType ? { logo: input.logo, logoMediaType: logoType } : input.removeLogo ? { logo: null, logoMediaType: null } : {};
      await manager.getRepository(CollectivityBranding).upsert(
        { collectivityId: collectivity.id, displayName: displayName || null, accentColor: accent || null, ...logoChange, updatedAt: now, updatedBy: actor.sub },
        ['collectivityId'],
      );
      await manager.getRepository(Collectivity).update({ id: collectivity.id }, { contactEmail: contactEmail || null, updatedAt: now });
      await this.journal.record(
        actor,
        {
          collectivityId: collectivity.id,
          action: 'branding.changed',
          details: { displayName: displayName || null, accentColor: accent || null, contactEmail: contactEmail || null, logo: logoType ?? (input.removeLogo ? 'retiré' : 'inchangé') },
        },
        manager,
      );
    });
  }
}
