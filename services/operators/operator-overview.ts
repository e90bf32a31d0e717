/** Gathers an operator's nodes, their verification and their settled sessions for the operator page. */
import type { SessionSettlement } from '../../protocol/metering.js';
import type { OperatorNodeOverview, OperatorOverview } from '../../protocol/operator-overview.js';
import type { VerificationService } from '../checker/verification-service.js';
import type { Ledger } from '../metering/ledger.js';
import type { MeteringService } from '../metering/metering-service.js';
import type { Store, StoredNode } from '../store/store.js';

export interface OperatorOverviewOptions {
  store: Store;
  ledger: Ledger;
  metering: MeteringService;
  verification: VerificationService;
}

export class OperatorOverviewService {
  readonly #options: OperatorOverviewOptions;

  constructor(options: OperatorOverviewOptions) {
    this.#options = options;
  }

  async overview(operatorId: string, from: number, to: number): Promise<OperatorOverview> {
    const { store, ledger, metering } = this.#options;
    const live = (await store.listNodes()).filter((node) => node.operatorId === operatorId);
    const liveIds = new Set(live.map((node) => node.nodeId));
    const offline = (await ledger.operatorNodes(operatorId)).filter((nodeId) => !liveIds.has(nodeId));
    const statement = await metering.statement(operatorId, from, to);
    const nodes = await Promise.all([...live.map((node) => this.#node(node.nodeId, node, statement.settlements)), ...offline.map((nodeId) => this.#node(nodeId, null, statement.settlements))]);
    return { operatorId, from, to, amount: statement.amount, creditedSeconds: statement.creditedSeconds, nodes };
  }

  async #node(nodeId: string, node: StoredNode | null, all: readonly SessionSettlement[]): Promise<OperatorNodeOverview> {
    const verification = await this.#options.verification.verification(nodeId);
    const settlements = all.filter((s) => s.nodeId === nodeId);
    const slots = node === null ? null : await this.#options.store.nodeSlots(nodeId);
    return {
      nodeId,
      name: node?.name ?? null,
      location: node?.location ?? null,
      state: node === null ? 'offline' : verification.suspended ? 'suspended' : 'live',
      gpuModel: node?.gpu.model ?? null,
      slots: slots === null ? null : { capacity: slots.capacity, busy: slots.busy, reserved: slots.reserved, free: slots.free },
      pricePerHour: node?.pricePerHour ?? null,
      verification,
      sessions: settlements.length,
      creditedSeconds: Math.round(settlements.reduce((sum, s) => sum + s.creditedSeconds, 0) * 1000) / 1000,
      amount: Math.round(settlements.reduce((sum, s) => sum + s.amount, 0) * 1e6) / 1e6,
      flagged: settlements.filter((s) => s.status === 'flagged').length,
      settlements,
    };
  }
}
