/** What the page says while the node gets the game ready (its first session on that node fetches the build). */
import type { SessionPreparing } from '../../../protocol/signalling.js';

const MB = 1024 * 1024;

/** Short enough for the Play button. */
export function preparingLabel(progress: SessionPreparing): string {
  switch (progress.stage) {
    case 'downloading':
      return progress.totalBytes ? `Downloading the game: ${Math.floor((100 * (progress.receivedBytes ?? 0)) / progress.totalBytes)}%` : 'Downloading the game…';
    case 'unpacking':
      return 'Unpacking the game…';
    case 'starting':
      return 'Starting the game…';
  }
}

/** The longer line shown beside the Cancel button. */
export function preparingDetail(progress: SessionPreparing): string {
  switch (progress.stage) {
    case 'downloading': {
      const received = Math.round((progress.receivedBytes ?? 0) / MB);
      const total = progress.totalBytes ? ` of ${Math.round(progress.totalBytes / MB)}` : '';
      return `The server is fetching this game for the first time (${received}${total} MB) and checking it is the studio's build.`;
    }
    case 'unpacking':
      return 'The server checked the download and is unpacking the game.';
    case 'starting':
      return 'The server is starting the game for you.';
  }
}
