/**
 * The catalogue of every error the system reports across a process boundary.
 * Codes are stable API: clients branch on `code`, people read `message`.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  UNAUTHORIZED: { status: 401, message: 'A valid token is required for this request.' },
  FORBIDDEN: { status: 403, message: 'This token may not do that.' },
  GAME_NOT_FOUND: { status: 404, message: 'There is no game with that id.' },
  NODE_NOT_FOUND: { status: 404, message: 'There is no live edge node with that id.' },
  SESSION_NOT_FOUND: { status: 404, message: 'There is no session with that id.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'There is no such endpoint.' },
  NO_CAPACITY: { status: 503, message: 'Every edge node that can run this game is busy. Try again in a moment.' },
  NODE_KEY_MISMATCH: { status: 409, message: 'This node id is registered with a different key.' },
  HEARTBEAT_SIGNATURE_INVALID: { status: 401, message: 'The heartbeat signature does not match the node key.' },
  HEARTBEAT_REPLAYED: { status: 409, message: 'This heartbeat is older than one already received.' },
  HEARTBEAT_CLOCK_SKEW: { status: 400, message: 'The heartbeat timestamp is too far from the control plane clock.' },
  REGISTRATION_CLOCK_SKEW: { status: 400, message: 'The registration timestamp is too far from the control plane clock.' },
  SIGNATURE_INVALID: { status: 401, message: 'The message signature does not match the node key.' },
  RESERVATION_EXPIRED: { status: 409, message: 'The slot reserved for this session has expired. Launch the game again.' },
  SESSION_ENDED: { status: 409, message: 'The session has already ended.' },
  TICKET_MISSING: { status: 401, message: 'A session ticket is required to join.' },
  TICKET_INVALID: { status: 401, message: 'The session ticket is not valid (bad signature or format).' },
  TICKET_EXPIRED: { status: 401, message: 'The session ticket has expired. Launch the game again.' },
  TICKET_WRONG_NODE: { status: 403, message: 'The session ticket was issued for another edge node.' },
  TICKET_REUSED: { status: 409, message: 'The session ticket has already been used.' },
  SESSION_NOT_JOINED: { status: 409, message: 'Join the session with a ticket first.' },
  SLOT_UNAVAILABLE: { status: 503, message: 'This edge node has no free slot for the session.' },
  GAME_START_FAILED: { status: 500, message: 'The game could not be started on the edge node.' },
  GAME_CRASHED: { status: 500, message: 'The game stopped unexpectedly. The session has ended.' },
  SESSION_IDLE_TIMEOUT: { status: 408, message: 'The session ended because no input arrived for too long.' },
  NODE_SHUTTING_DOWN: { status: 503, message: 'The edge node is shutting down.' },
  MEDIA_FAILED: { status: 500, message: 'The video stream could not be set up.' },
  LOCATION_UNKNOWN: { status: 400, message: 'We could not tell where you are. Send your coordinates with the request.' },
  PLACEMENT_NOT_FOUND: { status: 404, message: 'There is no placement with that id.' },
  PLACEMENT_EXPIRED: { status: 410, message: 'This placement offer has expired. Ask for a new one.' },
  PLACEMENT_IN_PROGRESS: { status: 409, message: 'You are already being placed; finish or cancel that first.' },
  RTT_FOR_UNOFFERED_NODE: { status: 400, message: 'A measurement names a node that was not offered.' },
  RTT_OUT_OF_RANGE: { status: 400, message: 'A round-trip time must be between 0 and 2000 ms.' },
  PROBE_TOKEN_INVALID: { status: 401, message: 'The probe token is not valid.' },
  PROBE_TOKEN_EXPIRED: { status: 401, message: 'The probe token has expired.' },
  PROBE_WRONG_NODE: { status: 403, message: 'The probe token was not issued for this node.' },
  PROBE_RATE_LIMITED: { status: 429, message: 'Too many probes; slow down.' },
  PACE_RATE_LIMITED: { status: 429, message: 'Frame pacing reports come at most one every half second.' },
  // Edge node: fetching, caching and sandboxing studio builds.
  BUILD_FETCH_FAILED: { status: 502, message: 'The edge node could not download the game build. Try again in a moment.' },
  BUILD_TOO_LARGE: { status: 507, message: 'The game build is larger than this edge node can cache.' },
  BUILD_CACHE_FULL: { status: 507, message: 'The edge node cache is full of builds that running sessions use.' },
  BUILD_RUNTIME_UNSUPPORTED: { status: 501, message: 'This edge node cannot run the runtime the game build asks for.' },
  GAME_MEMORY_LIMIT: { status: 500, message: 'The game used more memory than it is allowed and was stopped. The session has ended.' },
  GAME_PROCESS_LIMIT: { status: 500, message: 'The game started more processes than it is allowed and was stopped. The session has ended.' },
  GAME_DISK_LIMIT: { status: 500, message: 'The game filled its scratch disk quota and was stopped. The session has ended.' },
  SANDBOX_UNAVAILABLE: { status: 500, message: 'The edge node could not set up the sandbox games run in.' },
  // Studio builds: archives, manifests, uploads, versions, channels, API keys, downloads by nodes.
  ARCHIVE_UNREADABLE: { status: 422, message: 'The build archive is not a readable tar.gz or zip file.' },
  ARCHIVE_PATH_TRAVERSAL: { status: 422, message: 'The build archive has an entry whose path climbs out of the archive with "..".' },
  ARCHIVE_ABSOLUTE_PATH: { status: 422, message: 'The build archive has an entry with an absolute path; paths must be relative to the archive root.' },
  ARCHIVE_LINK_OUTSIDE: { status: 422, message: 'The build archive has a symbolic or hard link that points outside the archive.' },
  ARCHIVE_SPECIAL_FILE: { status: 422, message: 'The build archive has a device file, fifo or socket; only files, folders and links are allowed.' },
  ARCHIVE_ENTRY_CONFLICT: { status: 422, message: 'The build archive has an entry twice, or an entry inside something that is not a folder.' },
  ARCHIVE_TOO_MANY_ENTRIES: { status: 413, message: 'The build archive has more entries than a build may have.' },
  ARCHIVE_TOO_LARGE: { status: 413, message: 'The build archive expands to more bytes than a build may have.' },
  MANIFEST_MISSING: { status: 422, message: 'The build archive has no game.json at its root.' },
  MANIFEST_INVALID: { status: 422, message: 'The game.json manifest is not valid JSON or does not match the manifest schema.' },
  MANIFEST_ENTRY_MISSING: { status: 422, message: "The manifest's entry point is not a file in the archive." },
  MANIFEST_ENTRY_NOT_EXECUTABLE: { status: 422, message: "The manifest's entry point is not executable (set its mode to 755 before packing)." },
  MANIFEST_COVER_INVALID: { status: 422, message: "The manifest's cover is not a PNG, JPEG or WebP file of at most 2 MB in the archive." },
  UPLOAD_NOT_FOUND: { status: 404, message: 'There is no upload with that id.' },
  UPLOAD_INCOMPLETE: { status: 409, message: 'The upload has not received all its bytes yet; resume it first.' },
  BUILD_NOT_FOUND: { status: 404, message: 'There is no build with that id.' },
  VERSION_EXISTS: { status: 409, message: 'This version of the game is already published; versions are immutable, publish a new one.' },
  VERSION_NOT_FOUND: { status: 404, message: 'There is no published version of the game with that number.' },
  CHANNEL_NOT_FOUND: { status: 404, message: 'The game has no channel with that name.' },
  GAME_OWNED_BY_OTHER_STUDIO: { status: 403, message: 'Another studio owns a game with this id.' },
  API_KEY_INVALID: { status: 401, message: 'The studio API key is unknown or has been revoked.' },
  API_KEY_SCOPE_MISSING: { status: 403, message: 'The studio API key does not have the scope this request needs.' },
  STUDIO_EXISTS: { status: 409, message: 'A studio with that name already exists.' },
  SIGNUP_CLOSED: { status: 403, message: 'Studio sign-up is closed on this control plane; ask its administrator for an account.' },
  BUILD_FETCH_UNAUTHORIZED: { status: 401, message: "Build downloads need a live node's signed request headers." },
  BUILD_RANGE_INVALID: { status: 416, message: 'The requested byte range is not within the build archive.' },
  BUILD_HASH_MISMATCH: { status: 422, message: 'The downloaded build does not match its SHA-256; it was discarded.' },
  // Abuse limits: capacity and rates a player, an address or a session may take.
  RATE_LIMITED: { status: 429, message: 'Too many requests; wait a moment and try again.' },
  SESSION_IN_PROGRESS: { status: 409, message: 'You already have a game session; end it before starting another.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  SESSION_RESOURCE_LIMIT: { status: 429, message: 'This session has set up as many media transports, streams or channels as it may.' },
  JOIN_RATE_LIMITED: { status: 429, message: 'Too many failed attempts to join from your address; wait a moment and launch the game again.' },
  TOO_MANY_CONNECTIONS: { status: 429, message: 'Too many connections to this edge node from your address.' },
  ADMIN_TOKEN_INVALID: { status: 401, message: 'An admin token is required for this request.' },
  OPERATOR_TOKEN_EXPIRED: { status: 401, message: 'This operator token has expired: issue a new one with POST /v1/operators/:operatorId/tokens, or ask the network admin.' },
  OPERATOR_TOKEN_REVOKED: { status: 401, message: 'This operator token has been revoked: use another of the account, or ask the network admin for one.' },
  OPERATOR_CLOSED: { status: 403, message: 'This operator account has been closed by the network admin.' },
  OPERATOR_NOT_FOUND: { status: 404, message: 'There is no operator account with that id.' },
  OPERATOR_TOKEN_NOT_FOUND: { status: 404, message: 'The operator account has no token with that id.' },
  NODE_KEY_REVOKED: { status: 403, message: 'This node key has been revoked: create a new key (edgeplay-node join) and register again.' },
  NODE_NOT_OWNED: { status: 403, message: 'That node was not registered with this operator account.' },
  REGISTRATION_INVALID: { status: 400, message: 'The join request is malformed.' },
  HEARTBEAT_MAC_INVALID: { status: 401, message: 'The heartbeat MAC does not match the key agreed with this node at registration.' },
  USAGE_KEY_MISSING: { status: 409, message: 'No usage key was bound to this session when it was placed, so its player cannot sign a usage record.' },
  USAGE_SIGNATURE_INVALID: { status: 401, message: 'The usage record is not signed with the key bound to this session.' },
  USAGE_RECORD_CONFLICT: { status: 409, message: 'A different usage record for this session was already received; the first one stands.' },
  CHECKER_UNKNOWN: { status: 401, message: 'The request is not signed by a known checker.' },
  CHECK_CLOCK_SKEW: { status: 400, message: 'The checker request timestamp is too far from the control plane clock.' },
  CHECK_CONFLICT: { status: 409, message: 'A different result with this check id was already received.' },
  NODE_ADDRESS_LIMIT: { status: 409, message: 'Too many nodes are already registered from this address.' },
  NODE_OPERATOR_LIMIT: { status: 409, message: 'This operator already runs as many nodes as an operator may.' },
  FLAGGED_RECORD_NOT_FOUND: { status: 404, message: 'There is no flagged usage record for that session.' },
  FLAG_ALREADY_RESOLVED: { status: 409, message: 'This flagged usage record was already resolved differently; the first resolution stands.' },
  RESOLUTION_OVER_CEILING: { status: 422, message: "The amount is more than the player's usage record is worth; it is the ceiling." },
  // Builds from peer nodes (protocol/build-peers.ts).
  PEER_FETCH_UNAUTHORIZED: { status: 401, message: 'Only a registered node with a peer fetch token from the control plane, signing its request with its own key, may fetch builds from another node.' },
  PEER_BUILD_NOT_HELD: { status: 404, message: 'This edge node does not hold a verified copy of that build.' },
  PEER_BUSY: { status: 503, message: 'This edge node is serving as many builds to other nodes as it may; fetch from another source.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** A failure with a catalogued code; the message may be more specific than the catalogue's. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? errorCatalogue[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = details;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}
