export {
  CatalogueSearchService,
  CatalogueSearchErrors,
  analyseForm,
  providerPhrase,
  searchWords,
  type CatalogueEntry,
  type CatalogueQuery,
  type PreparationItem,
  type Provider,
  type TeleserviceDetails,
} from './catalogue-search.service.js';
