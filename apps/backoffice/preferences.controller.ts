import { Controller, Get, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '#core';
import { AgentNotificationPreferences } from '#notifications';
import { AgentGuard } from './agent.guard.js';

const MODES = [
  { id: 'instant', label: 'À chaque nouvelle demande', hint: 'Un courriel par demande qui arrive dans vos collectivités (ou par alerte du circuit).' },
  { id: 'daily_digest', label: 'Un récapitulatif par jour', hint: 'Un seul courriel quotidien qui liste les demandes et alertes de la journée.' },
];

/**
 * The agent's notification preference (`/preferences/notifications`, the `List-Unsubscribe` target of agents'
 * mails): instant mails or a daily digest. An agent changes their own preference only (keyed on their `sub`).
 */
@Controller('preferences')
@UseGuards(AgentGuard)
export class PreferencesController {
  constructor(private readonly preferences: AgentNotificationPreferences) {}

  @Get('notifications')
  async show(@Req() req: Request, @Res() res: Response, @Query('fait') done?: string) {
    const mode = await this.preferences.get(req.agent!.sub);
    res.render('preferences', this.page(mode, { notice: done === '1' ? 'Votre préférence a été enregistrée.' : null }));
  }

  @Post('notifications')
  async save(@Req() req: Request, @Res() res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      await this.preferences.set(req.agent!.sub, typeof body.mode === 'string' ? body.mode : '');
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind !== 'invalid') throw error;
      res.status(422).render('preferences', this.page(await this.preferences.get(req.agent!.sub), { error: error.message }));
      return;
    }
    res.redirect(303, '/preferences/notifications?fait=1');
  }

  private page(mode: string, extra: { notice?: string | null; error?: string }) {
    return {
      pageTitle: 'Mes notifications',
      modes: MODES.map((m) => ({ ...m, checked: m.id === mode })),
      notice: extra.notice ?? null,
      errors: extra.error ? [{ id: 'mode-instant', message: extra.error }] : [],
    };
  }
}
