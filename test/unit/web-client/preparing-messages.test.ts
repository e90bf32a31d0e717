import { describe, expect, it } from 'vitest';
import { preparingDetail, preparingLabel } from '../../../web-client/src/lib/preparing-messages.js';

describe('messages while the node gets the game ready', () => {
  it('shows download progress once the size is known, and each later stage', () => {
    expect(preparingLabel({ stage: 'downloading', receivedBytes: 0, totalBytes: null })).toBe('Downloading the game…');
    expect(preparingLabel({ stage: 'downloading', receivedBytes: 42 * 1024 * 1024, totalBytes: 100 * 1024 * 1024 })).toBe('Downloading the game: 42%');
    expect(preparingDetail({ stage: 'downloading', receivedBytes: 42 * 1024 * 1024, totalBytes: 100 * 1024 * 1024 })).toContain('(42 of 100 MB)');
    expect(preparingLabel({ stage: 'unpacking' })).toBe('Unpacking the game…');
    expect(preparingLabel({ stage: 'starting' })).toBe('Starting the game…');
  });
});
