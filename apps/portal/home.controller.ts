import { Controller, Get, Render } from '@nestjs/common';

@Controller()
export class HomeController {
  @Get()
  @Render('home')
  home() {
    return {
      pageTitle: 'Accueil',
      navigation: [
        { href: '/', label: 'Démarches', current: true },
        { href: '/mes-demarches', label: 'Mes démarches' },
        { href: '/aide', label: 'Besoin d’aide ?' },
      ],
    };
  }
}
