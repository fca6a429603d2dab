/** client-go's leader_election_master_status: 1 while this process leads the named Lease, else 0. */
import { Gauge, type Registry } from "../metrics/index.js";

export class LeaderElectionMetrics {
  private readonly status: Gauge;

  constructor(registry: Registry) {
    this.status = new Gauge({ name: "leader_election_master_status", help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.", labelNames: ["name"], registers: [registry] });
  }

  leading(name: string, leading: boolean): void {
    this.status.set({ name }, leading ? 1 : 0);
  }
}
