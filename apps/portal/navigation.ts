/** The portal's main navigation; `current` marks the section the page belongs to. */
export function portalNavigation(current: 'demarches' | 'mes-demarches' | 'aide' | null = 'demarches') {
  return [
    { href: '/', label: 'Démarches', current: current === 'demarches' },
    { href: '/mes-demarches', label: 'Mes démarches', current: current === 'mes-demarches' },
    // The layout adds `?depuis=<current page>` (res.locals.helpOrigin, apps/portal/citizen): help knows where it was asked.
    { href: '/aide', label: 'Besoin d’aide ?', current: current === 'aide', withOrigin: true },
  ];
}
