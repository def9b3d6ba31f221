import { Controller, Get, Header } from '@nestjs/common';
import { docsPage, openApiDocument } from './openapi.js';

/** The API's description: OpenAPI 3.1 JSON and a page listing the operations. Public. */
@Controller('api/docs')
export class DocsController {
  private readonly document = openApiDocument();
  private readonly page = docsPage(this.document);

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  html() {
    return this.page;
  }

  @Get('openapi.json')
  json() {
    return this.document;
  }
}
