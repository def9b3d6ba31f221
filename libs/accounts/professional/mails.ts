import type { MailSendPayload } from '#queue';

/** Mails of professional accounts (mandates), in plain French, like the account's other mails (text + simple HTML). */

const escape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const SIGNATURE = "— Le compte territorial. Ce courriel est envoyé automatiquement : n'y répondez pas.";

function mail(to: string, subject: string, paragraphs: string[], link?: { href: string; label: string }): MailSendPayload {
  const text = [...paragraphs, ...(link ? [`${link.label} : ${link.href}`] : []), '', SIGNATURE].join('\n\n');
  const html =
    paragraphs.map((p) => `<p>${escape(p)}</p>`).join('') + (link ? `<p><a href="${escape(link.href)}">${escape(link.label)}</a></p>` : '') + `<p>${escape(SIGNATURE)}</p>`;
  return { to, subject, text, html };
}

export function mandateRequestMail(
  to: string,
  request: { requester: string; denomination: string; siren: string; scope: string; leaderName: string },
  link: string,
  days: number,
): MailSendPayload {
  return mail(
    to,
    `Demande de mandat pour ${request.denomination}`,
    [
      'Bonjour,',
      `${request.requester} demande, sur le compte territorial, un mandat pour agir au nom de l’entreprise ${request.denomination} (SIREN ${request.siren}). Cette demande est adressée à ${request.leaderName}, dirigeant de l’entreprise selon le répertoire national des entreprises.`,
      `Ce que le mandat permettrait : ${request.scope}.`,
      `Pour accepter ou refuser, suivez le lien ci-dessous et connectez-vous avec FranceConnect : seul un dirigeant de l’entreprise, identifié par FranceConnect, peut répondre. Ce lien est valable ${days} jours et ne sert qu’une fois. Si vous ne connaissez pas cette personne, refusez la demande ou ignorez ce courriel.`,
    ],
    { href: link, label: 'Examiner la demande de mandat' },
  );
}

export function mandateDecisionMail(to: string, decision: { granted: boolean; denomination: string; siren: string; grantor: string }, link: string): MailSendPayload {
  return decision.granted
    ? mail(
        to,
        `Mandat accordé pour ${decision.denomination}`,
        [
          'Bonjour,',
          `${decision.grantor}, dirigeant de ${decision.denomination} (SIREN ${decision.siren}), a accepté votre demande de mandat. Vous pouvez désormais agir pour l’entreprise auprès des services qui vous le demandent, avec votre accord.`,
        ],
        { href: link, label: 'Voir mes mandats' },
      )
    : mail(
        to,
        `Mandat refusé pour ${decision.denomination}`,
        ['Bonjour,', `${decision.grantor}, dirigeant de ${decision.denomination} (SIREN ${decision.siren}), a refusé votre demande de mandat.`],
        { href: link, label: 'Voir mes mandats' },
      );
}

export function mandateRevokedMail(to: string, revocation: { denomination: string; siren: string; by: string }, link: string): MailSendPayload {
  return mail(
    to,
    `Mandat retiré pour ${revocation.denomination}`,
    [
      'Bonjour,',
      `${revocation.by} a retiré le mandat qui permettait d’agir pour ${revocation.denomination} (SIREN ${revocation.siren}). Les services connectés ne le reçoivent plus.`,
    ],
    { href: link, label: 'Voir mes mandats' },
  );
}
