/**
 * Browsers give game streams (WebRTC, and the crypto mediasoup-client relies on) only to secure
 * contexts: pages served over HTTPS, or from this computer (localhost). A page opened over plain
 * HTTP from anywhere else would fail at Play without a word, so it says why instead.
 */
export function insecureContextMessage(isSecureContext: boolean, host: string): string | null {
  if (isSecureContext) return null;
  return (
    `This page was opened over plain HTTP (${host}), where browsers do not allow game streams. ` +
    'Open it through its https:// address, or on the computer that runs it at http://localhost.'
  );
}
