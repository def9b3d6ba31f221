import { Controller, Get } from '@nestjs/common';

@Controller('api')
export class ApiController {
  /** Entry point of the partner API: what it is and which versions it serves. */
  @Get()
  index() {
    return {
      name: 'Parvis — moteur de téléservices',
      versions: [{ version: 'v1', status: 'disponible', base: '/api/v1' }],
      documentation: '/api/docs',
    };
  }
}
