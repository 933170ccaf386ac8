import type { NodePlan } from '../network-plan.js';

/** What the lab tells a node agent (written as JSON next to the node's credentials). */
export interface AgentConfig {
  labId: string;
  labDir: string;
  /** fleetlb checkout whose bin/fleetlb.js runs pods with fleetlb's image. */
  repoRoot: string;
  cluster: string;
  location?: string;
  node: NodePlan;
  /** Credentials of system:node:<name>. */
  kubeconfig: string;
  apiserver: {
    /** Address and port the node reaches the API server at (relayed through `socket`). */
    address: string;
    port: number;
    socket: string;
    caFile: string;
  };
  /** On a member node: the hub's API server, relayed the same way (member agents join through it). */
  hubApiserver?: { address: string; port: number; socket: string };
  kubernetesVersion: string;
  /** Where this node keeps pod files (tokens, kubeconfigs) and pod logs. */
  stateDir: string;
  podLogDir: string;
}
