import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Clock, DomainError } from '#core';
import { AgentInboxQueries, AgentStatistics, type Statistics, type StatisticsRequest } from '#demands';
import { AgentGuard } from './agent.guard.js';
import { agentCaller, parisDayStart } from './agent-caller.js';
import { csvCell } from './exports.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANNEL_LABELS: Record<string, string> = { web: 'En ligne', counter: 'Guichet', phone: 'Téléphone', mail: 'Courrier', email: 'Courriel', api: 'Système partenaire' };
const CHART = { width: 720, height: 200, top: 10 };
/** Beyond this many days, the chart and its table count per week (Monday to Sunday). */
const DAILY_UP_TO = 92;

function one(value: unknown): string {
  if (Array.isArray(value)) return one(value[0]);
  return typeof value === 'string' ? value.trim().slice(0, 200) : '';
}

/** « 12,5 h » / « 3,2 j ». */
function duration(hours: number | null | undefined): string {
  if (hours === null || hours === undefined) return '—';
  return hours < 48 ? `${hours.toFixed(1).replace('.', ',')} h` : `${(hours / 24).toFixed(1).replace('.', ',')} j`;
}

/**
 * Statistics of the agent's collectivities: per téléservice and period, demands received, by status, by channel,
 * processing time (mean, median, 90th percentile), a server-rendered SVG chart of demands per day (with its data
 * table), and the same figures as CSV.
 */
@Controller()
@UseGuards(AgentGuard)
export class StatisticsController {
  constructor(
    private readonly statistics: AgentStatistics,
    private readonly inbox: AgentInboxQueries,
    private readonly clock: Clock,
  ) {}

  @Get('statistiques')
  async page(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const caller = agentCaller(req.agent!);
    const { form, request, errors } = this.parse(query);
    const stats = errors.length ? null : await this.statistics.compute(caller, request);
    const choices = await this.inbox.filterChoices(caller);
    const keep = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== ''));
    res.status(errors.length ? 422 : 200).render('statistics', {
      pageTitle: 'Statistiques',
      form,
      errors,
      presets: presetsOf(parisToday(this.clock.now())).map((p, i, all) => {
        const params = new URLSearchParams(Object.entries({ teleservice: form.teleservice, du: p.du, au: p.au }).filter(([, v]) => v !== ''));
        // In January « Ce mois-ci » and « Cette année » are the same period: only the first is marked current.
        const current = all.findIndex((q) => form.du === q.du && form.au === q.au) === i;
        return { ...p, href: `/statistiques?${params.toString()}`, current };
      }),
      teleservices: choices.teleservices.map((t) => ({ ...t, selected: t.id === form.teleservice })),
      csvHref: `/statistiques.csv${keep.size ? `?${keep.toString()}` : ''}`,
      stats: stats && {
        ...stats,
        open: stats.received - stats.closed,
        processing: stats.processingHours && { mean: duration(stats.processingHours.mean), median: duration(stats.processingHours.median), p90: duration(stats.processingHours.p90) },
        byChannel: stats.byChannel.map((c) => ({ label: CHANNEL_LABELS[c.channel] ?? c.channel, count: c.count })),
        perTeleservice: stats.perTeleservice.map((t) => ({ ...t, median: duration(t.medianHours) })),
        chart: chartOf(stats),
      },
    });
  }

  @Get('statistiques.csv')
  async csv(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const { request, errors } = this.parse(query);
    if (errors.length) throw DomainError.invalid('STATISTICS_FILTERS_INVALID', errors[0].message);
    const stats = await this.statistics.compute(agentCaller(req.agent!), request);
    const lines: string[][] = [
      ['Indicateur', 'Valeur'],
      ['Demandes reçues', String(stats.received)],
      ['Demandes closes', String(stats.closed)],
      ['Demandes encore ouvertes', String(stats.received - stats.closed)],
      ['Délai de traitement moyen (heures)', stats.processingHours ? stats.processingHours.mean.toFixed(2).replace('.', ',') : ''],
      ['Délai de traitement médian (heures)', stats.processingHours ? stats.processingHours.median.toFixed(2).replace('.', ',') : ''],
      ['Délai de traitement, 90e centile (heures)', stats.processingHours ? stats.processingHours.p90.toFixed(2).replace('.', ',') : ''],
      ...stats.byStatus.map((s) => [`Statut : ${s.label}`, String(s.count)]),
      ...stats.byChannel.map((c) => [`Canal : ${CHANNEL_LABELS[c.channel] ?? c.channel}`, String(c.count)]),
      ...stats.perTeleservice.map((t) => [`Téléservice : ${t.title}`, String(t.received)]),
      ...stats.perDay.map((d) => [`Jour : ${d.day}`, String(d.count)]),
    ];
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="statistiques.csv"');
    res.setHeader('Cache-Control', 'no-store');
    res.send(`\uFEFF${lines.map((l) => l.map(csvCell).join(';')).join('\r\n')}\r\n`);
  }

  private parse(query: Record<string, unknown>) {
    const form = { teleservice: one(query.teleservice), du: one(query.du), au: one(query.au) };
    const errors: { id: string; message: string }[] = [];
    const request: StatisticsRequest = {};
    if (form.teleservice) {
      if (UUID.test(form.teleservice)) request.teleserviceId = form.teleservice;
      else errors.push({ id: 'stats-teleservice', message: 'Choisissez un téléservice de la liste.' });
    }
    if (form.du) {
      const from = parisDayStart(form.du);
      if (from) request.from = from;
      else errors.push({ id: 'stats-du', message: 'La date « Du » doit être une date valide (jj/mm/aaaa).' });
    }
    if (form.au) {
      const before = parisDayStart(form.au, 1);
      if (before) request.before = before;
      else errors.push({ id: 'stats-au', message: 'La date « Au » doit être une date valide (jj/mm/aaaa).' });
    }
    if (request.from && request.before && request.from >= request.before) errors.push({ id: 'stats-au', message: 'La date « Au » doit suivre la date « Du ».' });
    return { form, request, errors };
  }
}

/** Today's date in Europe/Paris, `AAAA-MM-JJ`. */
function parisToday(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

function shiftDay(day: string, days: number): string {
  const at = new Date(`${day}T12:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** The period presets, both bounds included, ending today. */
export function presetsOf(today: string): { label: string; du: string; au: string }[] {
  return [
    { label: 'Ce mois-ci', du: `${today.slice(0, 8)}01`, au: today },
    { label: 'Les 30 derniers jours', du: shiftDay(today, -29), au: today },
    { label: 'Cette année', du: `${today.slice(0, 5)}01-01`, au: today },
  ];
}

/** Per day up to DAILY_UP_TO days, otherwise per week (keyed by its Monday; the first and last may be partial). */
export function seriesOf(perDay: { day: string; count: number }[]): { unit: 'jour' | 'semaine'; points: { day: string; label: string; count: number }[] } {
  if (perDay.length <= DAILY_UP_TO) return { unit: 'jour', points: perDay.map((d) => ({ ...d, label: d.day })) };
  const weeks = new Map<string, number>();
  for (const d of perDay) {
    const monday = shiftDay(d.day, -((new Date(`${d.day}T12:00:00Z`).getUTCDay() + 6) % 7));
    weeks.set(monday, (weeks.get(monday) ?? 0) + d.count);
  }
  return { unit: 'semaine', points: [...weeks].map(([day, count]) => ({ day, label: `semaine du ${day}`, count })) };
}

/** Bars of the chart (per day or per week), in SVG user units (numbers and ISO days only: nothing a person typed). */
function chartOf(stats: Statistics) {
  const { unit, points: days } = seriesOf(stats.perDay);
  if (!days.length) return null;
  const max = Math.max(1, ...days.map((d) => d.count));
  const slot = CHART.width / days.length;
  const usable = CHART.height - CHART.top - 20;
  return {
    unit,
    unitTitle: unit === 'jour' ? 'Jour' : 'Semaine (du lundi)',
    points: days,
    width: CHART.width,
    height: CHART.height,
    max,
    baseline: CHART.height - 20,
    first: stats.perDay[0].day,
    last: stats.perDay.at(-1)!.day,
    bars: days.map((d, i) => {
      const h = Math.round((d.count / max) * usable);
      return { x: (i * slot).toFixed(1), width: Math.max(1, slot - 1).toFixed(1), y: CHART.height - 20 - h, height: h, day: d.label, count: d.count };
    }),
  };
}
