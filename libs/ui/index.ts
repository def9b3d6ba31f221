export { createViewEngine, UI_VIEWS, UI_ASSETS, type ViewSettings } from './view-engine.js';
