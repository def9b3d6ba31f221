import type { MailSendPayload } from '#queue';

/** Mails of the territorial account, in plain French (text + a simple HTML version). */

const escape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function mail(to: string, subject: string, paragraphs: string[], link?: { href: string; label: string }): MailSendPayload {
  const text = [...paragraphs, ...(link ? [`${link.label} : ${link.href}`] : []), '', "— Le compte territorial. Ce courriel est envoyé automatiquement : n'y répondez pas."].join(
    '\n\n',
  );
  const html =
    paragraphs.map((p) => `<p>${escape(p)}</p>`).join('') +
    (link ? `<p><a href="${escape(link.href)}">${escape(link.label)}</a></p>` : '') +
    "<p>— Le compte territorial. Ce courriel est envoyé automatiquement : n'y répondez pas.</p>";
  return { to, subject, text, html };
}

export function verificationMail(to: string, link: string, hours: number): MailSendPayload {
  return mail(
    to,
    'Confirmez votre adresse électronique',
    [
      'Bonjour,',
      'Vous avez créé un compte territorial avec cette adresse. Pour l’activer, confirmez votre adresse en suivant le lien ci-dessous.',
      `Ce lien est valable ${hours} heures et ne sert qu’une fois. Si vous n’êtes pas à l’origine de cette inscription, ignorez ce courriel.`,
    ],
    { href: link, label: 'Confirmer mon adresse' },
  );
}

export function alreadyRegisteredMail(to: string, resetLink: string): MailSendPayload {
  return mail(
    to,
    'Tentative d’inscription avec votre adresse',
    [
      'Bonjour,',
      'Quelqu’un (peut-être vous) a voulu créer un compte territorial avec cette adresse, mais vous en avez déjà un.',
      'Si vous avez oublié votre mot de passe, vous pouvez en choisir un nouveau. Sinon, ignorez ce courriel : votre compte n’a pas changé.',
    ],
    { href: resetLink, label: 'Choisir un nouveau mot de passe' },
  );
}

export function resetMail(to: string, link: string, minutes: number): MailSendPayload {
  return mail(
    to,
    'Choisissez un nouveau mot de passe',
    [
      'Bonjour,',
      'Une demande de nouveau mot de passe a été faite pour votre compte territorial.',
      `Ce lien est valable ${minutes} minutes et ne sert qu’une fois. Si vous n’avez rien demandé, ignorez ce courriel : votre mot de passe reste le même.`,
    ],
    { href: link, label: 'Choisir un nouveau mot de passe' },
  );
}

export function passwordChangedMail(to: string): MailSendPayload {
  return mail(to, 'Votre mot de passe a été changé', [
    'Bonjour,',
    'Le mot de passe de votre compte territorial vient d’être changé.',
    'Si ce n’est pas vous, choisissez tout de suite un nouveau mot de passe avec « Mot de passe oublié » et prévenez le support.',
  ]);
}

export function franceConnectUnlinkedMail(to: string): MailSendPayload {
  return mail(to, 'FranceConnect n’est plus relié à votre compte', [
    'Bonjour,',
    'Votre compte territorial n’est plus relié à FranceConnect : votre identité n’y est plus certifiée, et vos informations (nom, prénom, date de naissance, genre) peuvent de nouveau être modifiées. Votre lieu de naissance, connu seulement par FranceConnect, a été effacé.',
    'Vos sessions ont été fermées et les services connectés vous demanderont de vous reconnecter.',
    'Si ce n’est pas vous, choisissez tout de suite un nouveau mot de passe avec « Mot de passe oublié » et prévenez le support.',
  ]);
}

export function emailChangeVerificationMail(to: string, link: string, hours: number): MailSendPayload {
  return mail(
    to,
    'Confirmez votre nouvelle adresse électronique',
    [
      'Bonjour,',
      'Vous avez demandé à utiliser cette adresse pour votre compte territorial. Le changement ne s’applique qu’une fois cette adresse confirmée, en suivant le lien ci-dessous.',
      `Ce lien est valable ${hours} heures et ne sert qu’une fois. Si vous n’êtes pas à l’origine de cette demande, ignorez ce courriel.`,
    ],
    { href: link, label: 'Confirmer ma nouvelle adresse' },
  );
}

export function emailChangeRequestedMail(to: string): MailSendPayload {
  return mail(to, 'Votre adresse va être modifiée', [
    'Bonjour,',
    'Une demande de changement de l’adresse électronique de votre compte territorial vient d’être faite. Un lien de confirmation a été envoyé à la nouvelle adresse ; tant qu’il n’est pas suivi, votre adresse reste celle-ci.',
    'Si ce n’est pas vous, changez tout de suite votre mot de passe et prévenez le support.',
  ]);
}

export function emailChangedMail(to: string): MailSendPayload {
  return mail(to, 'Votre adresse a été modifiée', [
    'Bonjour,',
    'Votre adresse a été modifiée : votre compte territorial utilise désormais une autre adresse électronique, et celle-ci ne sert plus à vous connecter.',
    'Si ce n’est pas vous, prévenez tout de suite le support.',
  ]);
}

export function emailChangeRefusedMail(to: string): MailSendPayload {
  return mail(to, 'Tentative d’utiliser votre adresse', [
    'Bonjour,',
    'Quelqu’un a voulu utiliser cette adresse pour un autre compte territorial, mais elle sert déjà au vôtre : rien n’a changé.',
    'Si c’est vous, connectez-vous avec cette adresse. Sinon, ignorez ce courriel.',
  ]);
}

export function accountDeletedMail(to: string, reason: 'request' | 'inactivity'): MailSendPayload {
  return mail(to, 'Votre compte territorial a été supprimé', [
    'Bonjour,',
    reason === 'request'
      ? 'Comme vous l’avez demandé, votre compte territorial a été supprimé avec vos données personnelles.'
      : 'Votre compte territorial n’avait pas servi depuis deux ans : il a été supprimé avec vos données personnelles, comme annoncé.',
    'Les services qui avaient reçu vos données sont invités à effacer leur copie. Vous pouvez créer un nouveau compte à tout moment.',
  ]);
}

export function inactivityWarningMail(to: string, deletionDate: string, loginLink: string): MailSendPayload {
  return mail(
    to,
    'Votre compte territorial va être supprimé',
    [
      'Bonjour,',
      `Votre compte territorial n’a pas servi depuis bientôt deux ans. Pour protéger vos données, il sera supprimé avec elles à partir du ${deletionDate}.`,
      'Pour le garder, il vous suffit de vous y connecter d’ici là. Sinon, vous n’avez rien à faire.',
    ],
    { href: loginLink, label: 'Me connecter à mon compte' },
  );
}
