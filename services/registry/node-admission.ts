/**
 * Caps how many node keys one address and one operator may register, so a rig cannot register
 * many keys to win more placements. Keys are free to make, addresses are not: the address is the
 * one the registration arrived from, which a registering party cannot forge over TCP.
 */
import { AppError } from '../../protocol/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Ledger } from '../metering/ledger.js';

export interface AdmissionPolicy {
  /** Distinct node keys that may register from one address within `windowMs`. */
  maxNodesPerAddress: number;
  /** Distinct node keys one operator may register within `windowMs`. */
  maxNodesPerOperator: number;
  /** How long a registration holds its place (a node re-registering with its key keeps it). */
  windowMs: number;
}

export class NodeAdmission {
  readonly #ledger: Ledger;
  readonly #policy: AdmissionPolicy;
  readonly #log: Logger;

  constructor(ledger: Ledger, policy: AdmissionPolicy, log: Logger) {
    this.#ledger = ledger;
    this.#policy = policy;
    this.#log = log.child({ component: 'node-admission' });
  }

  async admit(nodeId: string, operatorId: string, address: string): Promise<void> {
    const { maxNodesPerAddress, maxNodesPerOperator, windowMs } = this.#policy;
    if (!(await this.#ledger.admitMember(`addr:${address}`, nodeId, maxNodesPerAddress, windowMs))) {
      this.#log.warn({ nodeId, operatorId, address }, 'registration refused: too many node keys from one address');
      throw new AppError('NODE_ADDRESS_LIMIT', `At most ${maxNodesPerAddress} nodes may register from one address.`);
    }
    if (!(await this.#ledger.admitMember(`op:${operatorId}`, nodeId, maxNodesPerOperator, windowMs))) {
      this.#log.warn({ nodeId, operatorId }, 'registration refused: operator node limit');
      throw new AppError('NODE_OPERATOR_LIMIT', `An operator may run at most ${maxNodesPerOperator} nodes.`);
    }
  }
}
