import { describe, expect, it } from 'vitest';
import { insecureContextMessage } from '../../../web-client/src/lib/secure-context.js';

describe('insecureContextMessage', () => {
  it('says nothing in a secure context', () => {
    expect(insecureContextMessage(true, 'play.example')).toBeNull();
  });

  it('tells a player on plain HTTP from another address why Play cannot work, and what to open instead', () => {
    const message = insecureContextMessage(false, '192.168.1.20:8080');
    expect(message).toContain('192.168.1.20:8080');
    expect(message).toMatch(/https:\/\//);
  });
});
