import { StudioPage } from './ui/studio-page.js';

new StudioPage().start();
