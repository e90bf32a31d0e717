/**
 * npm run checker -- --control-plane URL --checker-id berlin-1 --key checker.pem --lat 52.52 --lng 13.40
 *
 * Runs a checker service: verifies every live node when it joins and at unpredictable times after.
 * The key is created on first start; the line it prints goes to the control plane's --checker.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { loadOrCreateIdentity } from '../../edge-node/identity.js';
import { Checker, DEFAULT_PLAY_MS } from './checker.js';
import { formatCheckerSpec } from './checker-spec.js';

function number(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return n;
  };
}

const cli = new Command()
  .name('checker')
  .requiredOption('--control-plane <url>', 'the control plane to verify nodes for')
  .requiredOption('--checker-id <id>', 'the id the control plane knows this checker by')
  .requiredOption('--key <path>', 'Ed25519 PKCS#8 PEM of the checker key (created when missing, mode 0600)')
  .requiredOption('--lat <degrees>', 'where this checker stands', number(-90, 90))
  .requiredOption('--lng <degrees>', 'where this checker stands', number(-180, 180))
  .addOption(new Option('--max-sessions <n>', 'synthetic players at once per check').argParser(number(1, 64)).default(4))
  .addOption(new Option('--play-ms <ms>', 'how long each synthetic player plays').argParser(number(1000, 600_000)).default(DEFAULT_PLAY_MS))
  .addOption(new Option('--mean-interval <ms>', 'mean time between two checks of a node').argParser(number(1000, 7 * 24 * 3_600_000)).default(30 * 60_000))
  .addOption(new Option('--join-delay <ms>', 'a new node is checked within this long').argParser(number(0, 3_600_000)).default(10_000))
  .addOption(new Option('--log-level <level>', 'pino log level').default('info').env('LOG_LEVEL'))
  .parse()
  .opts<{ controlPlane: string; checkerId: string; key: string; lat: number; lng: number; maxSessions: number; playMs: number; meanInterval: number; joinDelay: number; logLevel: string }>();

const log = pino({ name: 'checker', level: cli.logLevel });
const identity = await loadOrCreateIdentity(cli.key);
log.info({ checker: formatCheckerSpec({ checkerId: cli.checkerId, publicKey: identity.publicKey, location: { lat: cli.lat, lng: cli.lng } }) }, 'give the control plane this --checker');
const checker = await Checker.start({
  controlPlaneUrl: cli.controlPlane,
  checkerId: cli.checkerId,
  privateKey: identity.privateKey,
  maxSessions: cli.maxSessions,
  playMs: cli.playMs,
  schedule: { meanIntervalMs: cli.meanInterval, joinDelayMs: cli.joinDelay },
  log,
});
checker.run();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void checker.stop().then(() => process.exit(0)));
