import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { HubCredential, MemberClusterKind, memberAgentServiceAccount, type MemberCluster } from '../api/cluster.js';
import { FleetLBNamespace, Labels } from '../api/labels.js';
import { KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { clusterPaths } from './control-plane.js';
import { kubeconfigYaml } from './kubeconfig.js';
import type { ClusterState, LabState } from './state.js';

/**
 * The lab's fleet membership, as an operator sets it up (docs/adr/0041): on the hub, per member,
 * a ServiceAccount for its agent and a MemberCluster naming it, labelled with the member's
 * location; on the member, a Secret holding a kubeconfig for the hub with that ServiceAccount's
 * token, which the member agent reads through the API at start.
 */

/** Heartbeat period of the lab's members: short, so health changes show within seconds. */
export const LAB_HEARTBEAT_SECONDS = 5;
/** A lab lives hours; a week-long token spares rotating it (as the node agent's pod tokens). */
const TOKEN_SECONDS = 7 * 24 * 3600;

function client(c: ClusterState): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return new KubeClient(kc, { fieldManager: 'fleetlb-lab-deploy' });
}

export function memberClusterManifest(member: ClusterState, heartbeatPeriodSeconds = LAB_HEARTBEAT_SECONDS): MemberCluster {
  return {
    apiVersion: `${MemberClusterKind.group}/${MemberClusterKind.version}`,
    kind: 'MemberCluster',
    metadata: { name: member.name, labels: { [Labels.location]: member.location ?? '' } },
    spec: { identity: { kind: 'ServiceAccount', name: memberAgentServiceAccount(member.name), namespace: FleetLBNamespace }, heartbeatPeriodSeconds },
  };
}

/** Create (or refresh) every member's MemberCluster and hub credential. */
export async function setUpMemberships(state: LabState, progress: (l: string) => void = () => {}): Promise<void> {
  const hubState = state.clusters.find((c) => c.role === 'hub');
  const hubAddress = hubState && state.network?.plan.apiserverAddress[hubState.name];
  if (!hubState || !hubAddress) return;
  const hub = client(hubState);
  const caPem = await readFile(join(clusterPaths(state.dir, hubState.name).pki, 'ca.crt'), 'utf8');
  const server = `https://${hubAddress}:${hubState.ports.apiserver}`;
  try {
    for (const m of state.clusters.filter((c) => c.role === 'member')) {
      const sa = memberAgentServiceAccount(m.name);
      await hub.apply(CoreResources.serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: FleetLBNamespace, labels: { [Labels.fleetMemberName]: m.name } } });
      await hub.apply(MemberClusterKind, memberClusterManifest(m));
      const tr = await hub.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${FleetLBNamespace}/serviceaccounts/${sa}/token`, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } },
      });
      const token = tr.status?.token;
      if (!token) throw new Error(`the hub issued no token for ${FleetLBNamespace}/${sa}`);
      const kubeconfig = kubeconfigYaml([{ name: 'hub', server, caPem, token }], 'hub');
      const member = client(m);
      try {
        await member.apply(CoreResources.secrets, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: HubCredential.secretName, namespace: FleetLBNamespace },
          type: 'Opaque',
          stringData: { [HubCredential.kubeconfigKey]: kubeconfig, [HubCredential.memberNameKey]: m.name },
        } as KubeObject);
      } finally {
        member.close();
      }
      progress(`${m.name}: MemberCluster on the hub (${Labels.location}=${m.location ?? ''}), hub credential in ${FleetLBNamespace}/${HubCredential.secretName}`);
    }
  } finally {
    hub.close();
  }
}
