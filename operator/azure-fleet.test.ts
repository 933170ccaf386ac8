import { describe, expect, test } from '@jest/globals';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { ErrorCodes, isFleetlbError } from '../runtime/errors.js';
import { memberClusterFor, parseClusterResourceId, readAzureFleetMembers, type AzureFleetMember } from './azure-fleet.js';

/**
 * Azure Resource Manager answers, in the documented shapes of Microsoft.ContainerService
 * fleets/members (2025-03-01) and managedClusters / connectedClusters GET: the SDK, paging and
 * authentication run for real; only the wire is replaced.
 */
const SUB = '00000000-1111-2222-3333-444444444444';
const fleetBase = `/subscriptions/${SUB}/resourceGroups/Fleet-RG/providers/Microsoft.ContainerService/fleets/demo-fleet`;
const aks = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const arc = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Kubernetes/connectedClusters/${name}`;

const member = (name: string, clusterResourceId: string, group?: string) => ({
  id: `${fleetBase}/members/${name}`,
  name,
  type: 'Microsoft.ContainerService/fleets/members',
  eTag: '"0a00a000-0000-0000-0000-000000000000"',
  systemData: { createdBy: 'someone@example.com', createdByType: 'User', createdAt: '2026-01-01T00:00:00Z' },
  properties: { clusterResourceId, ...(group ? { group } : {}), provisioningState: 'Succeeded', status: { lastOperationId: 'op-1' } },
});

const clusters: Record<string, { location: string }> = {
  [aks('RG-East', 'aks-east-1')]: { location: 'eastus' },
  [aks('RG-East', 'aks-east-2')]: { location: 'eastus' },
  [arc('rg-onprem', 'lab-west')]: { location: 'westus' },
};

function armServer(overrides: { status?: number; body?: unknown } = {}) {
  const seen: PipelineRequest[] = [];
  const client: HttpClient = {
    sendRequest: async (req): Promise<PipelineResponse> => {
      seen.push(req);
      const url = new URL(req.url);
      const reply = (status: number, body: unknown): PipelineResponse => ({ request: req, status, headers: createHttpHeaders({ 'content-type': 'application/json' }), bodyAsText: JSON.stringify(body) });
      if (overrides.status) return reply(overrides.status, overrides.body);
      if (url.pathname === `${fleetBase}/members`) {
        // Two pages, as Resource Manager pages long lists through nextLink.
        if (!url.searchParams.has('$skipToken')) {
          return reply(200, { value: [member('member-1', aks('RG-East', 'aks-east-1'), 'canary'), member('member-2', aks('RG-East', 'aks-east-2'))], nextLink: `https://management.azure.com${fleetBase}/members?api-version=2025-03-01&$skipToken=page2` });
        }
        return reply(200, { value: [member('member-3', arc('rg-onprem', 'lab-west'))] });
      }
      const c = clusters[url.pathname];
      if (c) return reply(200, { id: url.pathname, name: url.pathname.split('/').pop(), type: 'Microsoft.ContainerService/ManagedClusters', location: c.location, properties: { kubernetesVersion: '1.34.4' } });
      return reply(404, { error: { code: 'ResourceNotFound', message: `The Resource '${url.pathname}' was not found.` } });
    },
  };
  return { client, seen };
}

const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
const ref = { subscriptionId: SUB, resourceGroup: 'Fleet-RG', fleet: 'demo-fleet' };

describe('fleet import-azure', () => {
  test('reads every member across pages, with its cluster\'s region', async () => {
    const arm = armServer();
    const members = await readAzureFleetMembers(ref, { credential, httpClient: arm.client });
    expect(members).toEqual([
      { name: 'member-1', group: 'canary', clusterResourceId: aks('RG-East', 'aks-east-1'), subscriptionId: SUB, resourceGroup: 'RG-East', clusterName: 'aks-east-1', location: 'eastus' },
      { name: 'member-2', group: undefined, clusterResourceId: aks('RG-East', 'aks-east-2'), subscriptionId: SUB, resourceGroup: 'RG-East', clusterName: 'aks-east-2', location: 'eastus' },
      { name: 'member-3', group: undefined, clusterResourceId: arc('rg-onprem', 'lab-west'), subscriptionId: SUB, resourceGroup: 'rg-onprem', clusterName: 'lab-west', location: 'westus' },
    ]);
    // Every request is authenticated, and each resource type is read with its own api-version.
    expect(arm.seen.every((r) => r.headers.get('authorization') === 'Bearer test-token')).toBe(true);
    const versions = arm.seen.map((r) => `${new URL(r.url).pathname.split('/providers/')[1]!.split('/').slice(0, 2).join('/')} ${new URL(r.url).searchParams.get('api-version')}`);
    expect(versions).toEqual([
      'Microsoft.ContainerService/fleets 2025-03-01',
      'Microsoft.ContainerService/fleets 2025-03-01',
      'Microsoft.ContainerService/managedClusters 2024-05-01',
      'Microsoft.ContainerService/managedClusters 2024-05-01',
      'Microsoft.Kubernetes/connectedClusters 2024-01-01',
    ]);
  });

  test('a Resource Manager refusal becomes one sentence with its code', async () => {
    const arm = armServer({ status: 403, body: { error: { code: 'AuthorizationFailed', message: 'The client does not have authorization.' } } });
    const err = await readAzureFleetMembers(ref, { credential, httpClient: arm.client }).catch((e: unknown) => e);
    expect(isFleetlbError(err, ErrorCodes.AZURE_REQUEST_FAILED)).toBe(true);
    expect((err as Error).message).toMatch(/listing the members of fleet demo-fleet .*HTTP 403 AuthorizationFailed.*Reader/);
  });

  test('MemberClusters carry Azure\'s labels; an existing one keeps its spec and other labels', () => {
    const m: AzureFleetMember = { name: 'member-1', clusterResourceId: aks('RG-East', 'aks-east-1'), subscriptionId: SUB.toUpperCase(), resourceGroup: 'RG-East', clusterName: 'aks-east-1', location: 'East US' };
    expect(memberClusterFor(m)).toEqual({
      apiVersion: 'cluster.kubernetes-fleet.io/v1', kind: 'MemberCluster',
      metadata: { name: 'member-1', labels: { 'fleet.azure.com/location': 'eastus', 'fleet.azure.com/resource-group': 'rg-east', 'fleet.azure.com/subscription-id': SUB, 'fleet.azure.com/cluster-name': 'aks-east-1' } },
      spec: { identity: { kind: 'ServiceAccount', name: 'member-agent-member-1', namespace: 'fleetlb-system' } },
    });
    const existing = { apiVersion: 'cluster.kubernetes-fleet.io/v1' as const, kind: 'MemberCluster' as const, metadata: { name: 'member-1', labels: { team: 'a', 'fleet.azure.com/location': 'westus' } }, spec: { identity: { kind: 'User', name: 'agent' }, heartbeatPeriodSeconds: 5 } };
    const updated = memberClusterFor(m, existing);
    expect(updated.spec).toEqual(existing.spec);
    expect(updated.metadata.labels).toMatchObject({ team: 'a', 'fleet.azure.com/location': 'eastus' });
  });

  test('a malformed cluster resource id is refused', () => {
    expect(parseClusterResourceId(aks('rg', 'c'))).toEqual({ subscriptionId: SUB, resourceGroup: 'rg', type: 'Microsoft.ContainerService/managedClusters', name: 'c' });
    expect(() => parseClusterResourceId('/subscriptions/x/clusters/y')).toThrow(/not a cluster resource id/);
  });
});
