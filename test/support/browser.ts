/** Tests drive the same Chromium set-up the checker service plays with. */
export { CHROMIUM, launchBrowser, type Browser } from '../../services/checker/chromium.js';
