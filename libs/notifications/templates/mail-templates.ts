import Handlebars from 'handlebars';

/**
 * The platform's mail templates (Handlebars, HTML and text parts), branded with the collectivity's name.
 * Rendered before the mail is written to the outbox (`mail.send` carries the rendered parts), so a template
 * change never alters a mail already decided. The HTML header is the platform's (the name, the platform's colour);
 * a mail whose payload names a collectivity (`brand`) gets that collectivity's logo and colour from the worker when
 * it is sent (`brandMailHtml`, #notifications' `MailBranding`). HTML values are escaped; only `htmlBody` (the workflow's own
 * rendered HTML, escaped by #workflow's templates) is inserted as is.
 */
const hbs = Handlebars.create();

/** The platform's accent colour (blue France, 12.3:1 on white): headers of mails without a collectivity's branding. */
export const PLATFORM_ACCENT = '#000091';

/**
 * The HTML header of every mail, between two markers so that the worker can frame it again with the branding of the
 * competent collectivity when it sends (`brandMailHtml`): the logo (an inline CID attachment; its `alt` and the name
 * written beside it are the text fallback when images are blocked), the name, the accent colour.
 */
const HEADER_START = '<!--parvis:entete-->';
const HEADER_END = '<!--/parvis:entete-->';
/** Handlebars' own escaping (`{{value}}`): the frame below is written as functions, not templates (the hottest mail). */
const esc = (value: string) => hbs.escapeExpression(value);

function renderHeader(name: string, accent: string, logoCid: string | null): string {
  const logo = logoCid
    ? `<img src="cid:${esc(logoCid)}" alt="Logo de ${esc(name)}" height="48" style="display: block; height: 48px; width: auto; max-width: 240px; margin-bottom: 6px;">\n`
    : '';
  return `${HEADER_START}
<div style="border-bottom: 3px solid ${esc(accent)}; padding-bottom: 6px; margin-bottom: 16px;">
${logo}<p style="margin: 0; font-weight: bold; font-size: 1.15em; color: ${esc(accent)};">${esc(name)}</p>
</div>
${HEADER_END}`;
}

/** A mail header's branding: the name shown, the accent colour (`#rrggbb`), the content id of the inline logo. */
export interface MailBrand {
  name: string;
  accentColor: string | null;
  logoCid: string | null;
}

function headerHtml(brand: MailBrand): string {
  return renderHeader(brand.name, accessibleAccent(brand.accentColor), brand.logoCid);
}

/**
 * The rendered HTML part framed again with a collectivity's branding: its header (between the markers) replaced by
 * the brand's. HTML without the markers (a mail not rendered by these templates) is returned unchanged.
 */
export function brandMailHtml(html: string, brand: MailBrand): string {
  const start = html.indexOf(HEADER_START);
  const end = html.indexOf(HEADER_END, start);
  if (start < 0 || end < 0) return html;
  return html.slice(0, start) + headerHtml(brand) + html.slice(end + HEADER_END.length);
}

/**
 * The accent colour a mail uses: the collectivity's when it reaches the WCAG AA contrast for text (4.5:1) on white,
 * else the platform's (the back office checks it on input; this guards older or imported values).
 */
export function accessibleAccent(color: string | null | undefined): string {
  if (!color || !/^#[0-9a-fA-F]{6}$/.test(color)) return PLATFORM_ACCENT;
  return contrastOnWhite(color) >= 4.5 ? color.toLowerCase() : PLATFORM_ACCENT;
}

/** WCAG 2.x contrast ratio of `#rrggbb` against white. */
export function contrastOnWhite(color: string): number {
  const channel = (i: number) => {
    const c = parseInt(color.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05);
}

/** The HTML part: the header, the content (already HTML), the footer naming the collectivity. */
function layoutHtml(v: { subject: string; header: string; collectivityName: string; content: string; unsubscribeUrl?: string }): string {
  const unsubscribe = v.unsubscribeUrl ? `\n<br><a href="${esc(v.unsubscribeUrl)}">Gérer ou arrêter ces notifications</a>` : '';
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>${esc(v.subject)}</title></head>
<body style="font-family: Arial, sans-serif; color: #1e1e1e; line-height: 1.5;">
${v.header}
${v.content}
<hr>
<p style="font-size: 0.9em; color: #3a3a3a;">Ce message vous est envoyé par ${esc(v.collectivityName)} via le guichet numérique Parvis.${unsubscribe}</p>
</body></html>`;
}

/** The text part is plain text: nothing is HTML-escaped there. */
function layoutText(v: { collectivityName: string; line: string; content: string; unsubscribeUrl?: string }): string {
  const unsubscribe = v.unsubscribeUrl ? `\nGérer ou arrêter ces notifications : ${v.unsubscribeUrl}` : '';
  return `${v.collectivityName}
${v.line}

${v.content}

--
Ce message vous est envoyé par ${v.collectivityName} via le guichet numérique Parvis.${unsubscribe}
`;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

interface Frame {
  subject: string;
  collectivityName: string;
  contentText: string;
  contentHtml: string;
  /** When set: a footer link and the `List-Unsubscribe` header (RFC 2369) pointing to the preference page. */
  unsubscribeUrl?: string;
}

function frame(frame: Frame): RenderedMail {
  const subject = oneLine(frame.subject);
  const text = layoutText({
    collectivityName: frame.collectivityName,
    line: '='.repeat(Math.min(60, Math.max(3, frame.collectivityName.length))),
    content: frame.contentText,
    unsubscribeUrl: frame.unsubscribeUrl,
  });
  const header = headerHtml({ name: frame.collectivityName, accentColor: null, logoCid: null });
  const html = layoutHtml({ subject, header, collectivityName: frame.collectivityName, content: frame.contentHtml, unsubscribeUrl: frame.unsubscribeUrl });
  return frame.unsubscribeUrl ? { subject, text, html, headers: { 'List-Unsubscribe': `<${frame.unsubscribeUrl}>` } } : { subject, text, html };
}

const paragraphs = (text: string) =>
  text
    .split(/\n{2,}/)
    .map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');

/**
 * A workflow `notify_citizen` mail: the téléservice's subject and text (or HTML), in the collectivity's frame.
 * Status mails are transactional (they are part of the procedure the citizen started): no `List-Unsubscribe`
 * unless the caller gives a preference page.
 */
export function citizenNotificationMail(input: { collectivityName: string; subject: string; text: string; html?: string | null; unsubscribeUrl?: string }): RenderedMail {
  return frame({
    subject: input.subject,
    collectivityName: input.collectivityName || 'Parvis',
    contentText: input.text,
    contentHtml: input.html || paragraphs(input.text),
    unsubscribeUrl: input.unsubscribeUrl,
  });
}

export interface SummaryLine {
  label: string;
  value: string;
  items?: SummaryLine[][];
}

const RELAY_HTML = hbs.compile(`<p>Bonjour,</p>
<p>{{senderName}} vous transmet une demande déposée sur son guichet numérique pour la commune {{communeOf}}, qui n’adhère pas au guichet : merci de la traiter selon vos procédures habituelles.</p>
<table style="border-collapse: collapse;">
<tr><th scope="row" style="text-align: left; padding: 2px 8px;">Téléservice</th><td style="padding: 2px 8px;">{{teleserviceTitle}}</td></tr>
<tr><th scope="row" style="text-align: left; padding: 2px 8px;">Numéro de suivi</th><td style="padding: 2px 8px;">{{trackingCode}}</td></tr>
<tr><th scope="row" style="text-align: left; padding: 2px 8px;">Déposée le</th><td style="padding: 2px 8px;">{{submittedAt}}</td></tr>
</table>
<h2 style="font-size: 1.1em;">Informations saisies</h2>
<dl>{{#each lines}}<dt style="font-weight: bold;">{{label}}</dt><dd>{{#if items}}{{#each items}}<div>{{#each this}}{{label}} : {{value}}<br>{{/each}}</div>{{/each}}{{else}}{{value}}{{/if}}</dd>{{/each}}</dl>
<p>Pour toute question sur cette transmission, les agents de {{senderName}} suivent la demande ici : <a href="{{agentLink}}">{{agentLink}}</a></p>`);

/** The mail relaying a demand to a non-adhering commune's contact address: a readable summary and the metropolis' agents' link. */
export function relayMail(input: {
  senderName: string;
  communeName: string;
  teleserviceTitle: string;
  trackingCode: string;
  submittedAt: Date;
  lines: readonly SummaryLine[];
  agentLink: string;
}): RenderedMail {
  const communeOf = /^[aeiouyàâéèêëîïôœù]/i.test(input.communeName) ? `d’${input.communeName}` : `de ${input.communeName}`;
  const submittedAt = input.submittedAt.toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });
  const textLines = input.lines.flatMap((line) =>
    line.items ? [`${line.label} :`, ...line.items.flatMap((item, i) => item.map((e) => `  ${i + 1}. ${e.label} : ${e.value}`))] : [`${line.label} : ${line.value}`],
  );
  const contentText = [
    'Bonjour,',
    '',
    `${input.senderName} vous transmet une demande déposée sur son guichet numérique pour la commune ${communeOf}, qui n’adhère pas au guichet : merci de la traiter selon vos procédures habituelles.`,
    '',
    `Téléservice : ${input.teleserviceTitle}`,
    `Numéro de suivi : ${input.trackingCode}`,
    `Déposée le : ${submittedAt}`,
    '',
    'Informations saisies',
    '--------------------',
    ...textLines,
    '',
    `Pour toute question sur cette transmission, les agents de ${input.senderName} suivent la demande ici : ${input.agentLink}`,
  ].join('\n');
  return frame({
    subject: `Demande transmise : ${input.teleserviceTitle} (n° ${input.trackingCode})`,
    collectivityName: input.senderName,
    contentText,
    contentHtml: RELAY_HTML({ ...input, submittedAt, communeOf }),
  });
}

const AGENT_HTML = hbs.compile(`<p>Bonjour,</p>
<p>Une nouvelle demande « {{teleserviceTitle}} » (n° {{trackingCode}}) est arrivée dans la gestion de la relation usager de {{collectivityName}}.</p>
<p><a href="{{link}}">Ouvrir la demande</a></p>`);

/** One mail to one agent for a new demand in their collectivity's care (a daily digest is a later option). */
export function agentNewDemandMail(input: { collectivityName: string; teleserviceTitle: string; trackingCode: string; link: string; preferencesUrl: string }): RenderedMail {
  return frame({
    subject: `Nouvelle demande : ${input.teleserviceTitle} (n° ${input.trackingCode})`,
    collectivityName: input.collectivityName,
    contentText: `Bonjour,\n\nUne nouvelle demande « ${input.teleserviceTitle} » (n° ${input.trackingCode}) est arrivée dans la gestion de la relation usager de ${input.collectivityName}.\n\nOuvrir la demande : ${input.link}`,
    contentHtml: AGENT_HTML(input),
    unsubscribeUrl: input.preferencesUrl,
  });
}

function oneLine(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return (line || 'Votre demande').slice(0, 250);
}

/** A workflow `notify_agents` mail: the téléservice's subject and text, a link to the demand, the preference page. */
export function agentAlertMail(input: { collectivityName: string; subject: string; text: string; html?: string | null; link: string; preferencesUrl: string }): RenderedMail {
  const text = input.text.trim() || input.subject;
  return frame({
    subject: input.subject,
    collectivityName: input.collectivityName || 'Parvis',
    contentText: `${text}\n\nOuvrir la demande : ${input.link}`,
    contentHtml: `${input.html || paragraphs(text)}\n<p><a href="${esc(input.link)}">Ouvrir la demande</a></p>`,
    unsubscribeUrl: input.preferencesUrl,
  });
}

const DIGEST_HTML = hbs.compile(`<p>Bonjour,</p>
<p>Voici {{#if single}}la notification{{else}}les {{count}} notifications{{/if}} reçue{{#unless single}}s{{/unless}} depuis votre dernier récapitulatif :</p>
<ul>{{#each items}}<li>{{#if collectivityName}}{{collectivityName}} — {{/if}}{{#if link}}<a href="{{link}}">{{title}}</a>{{else}}{{title}}{{/if}}</li>{{/each}}</ul>`);

/** An agent's daily digest: one line per item (collectivity, title, link), the preference page to go back to instant mails. */
export function agentDigestMail(input: {
  day: string;
  items: readonly { title: string; link: string | null; collectivityName: string }[];
  preferencesUrl: string;
}): RenderedMail {
  const count = input.items.length;
  const lines = input.items.map((item) => `- ${item.collectivityName ? `${item.collectivityName} — ` : ''}${item.title}${item.link ? `\n  ${item.link}` : ''}`);
  return frame({
    subject: `Récapitulatif du ${input.day} : ${count} notification${count > 1 ? 's' : ''}`,
    collectivityName: 'Parvis — gestion de la relation usager',
    contentText: ['Bonjour,', '', `Voici ${count > 1 ? `les ${count} notifications reçues` : 'la notification reçue'} depuis votre dernier récapitulatif :`, '', ...lines].join('\n'),
    contentHtml: DIGEST_HTML({ items: input.items, count, single: count === 1 }),
    unsubscribeUrl: input.preferencesUrl,
  });
}
