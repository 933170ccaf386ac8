import { ContainerServiceFleetClient } from '@azure/arm-containerservicefleet';
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createPipelineFromOptions,
  createPipelineRequest,
  RestError,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import { ClusterGroup } from '../api/groups.js';
import { FleetLBNamespace, Labels } from '../api/labels.js';
import { memberAgentServiceAccount, type MemberCluster } from '../api/cluster.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';

/**
 * `fleetlb fleet import-azure`: the members of an Azure Kubernetes Fleet Manager fleet as
 * MemberCluster objects, labelled like Azure labels them so the walkthrough's
 * `fleet.azure.com/location` affinity works unchanged. Reading goes through Azure's SDK with a
 * credential and HTTP client passed in (tests pass recorded Resource Manager answers); the mapping
 * to objects is pure.
 */

export interface AzureFleetRef {
  subscriptionId: string;
  resourceGroup: string;
  fleet: string;
}

export interface AzureFleetMember {
  name: string;
  group?: string;
  clusterResourceId: string;
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
  /** The member cluster's Azure region (fleet members have none of their own). */
  location: string;
}

export interface AzureAccess {
  credential: TokenCredential;
  /** Injected in tests; the SDK's default (Node https) otherwise. */
  httpClient?: HttpClient;
  /** Resource Manager endpoint (sovereign clouds); default https://management.azure.com. */
  endpoint?: string;
}

const ARM = 'https://management.azure.com';

/** Resource Manager api-versions that every region serves, per cluster resource type. */
const ClusterApiVersions: Record<string, string> = {
  'microsoft.containerservice/managedclusters': '2024-05-01',
  'microsoft.kubernetes/connectedclusters': '2024-01-01',
};

export interface ClusterResourceId {
  subscriptionId: string;
  resourceGroup: string;
  /** `Microsoft.ContainerService/managedClusters`. */
  type: string;
  name: string;
}

export function parseClusterResourceId(id: string): ClusterResourceId {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/i.exec(id.trim());
  if (!m) throw new FleetlbError(ErrorCodes.AZURE_REQUEST_FAILED, `The fleet member's clusterResourceId "${id}" is not a cluster resource id (/subscriptions/…/resourceGroups/…/providers/…/NAME).`);
  return { subscriptionId: m[1]!, resourceGroup: m[2]!, type: m[3]!, name: m[4]! };
}

function azureFailure(what: string, err: unknown): FleetlbError {
  if (err instanceof RestError) {
    const body = err.details as { error?: { code?: string; message?: string } } | undefined;
    const code = body?.error?.code ?? err.code ?? '';
    const hint = err.statusCode === 401 || err.statusCode === 403 ? ' Check that the signed-in identity has Reader on the fleet and its member clusters.' : '';
    return new FleetlbError(ErrorCodes.AZURE_REQUEST_FAILED, `Azure Resource Manager refused ${what} (HTTP ${err.statusCode ?? '?'}${code ? ` ${code}` : ''}: ${body?.error?.message ?? err.message}).${hint}`, { cause: err });
  }
  if ((err as Error).name === 'CredentialUnavailableError' || (err as Error).name === 'AggregateAuthenticationError') {
    return new FleetlbError(ErrorCodes.AZURE_REQUEST_FAILED, `No Azure credential is available for ${what}: sign in with 'az login', or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or use workload identity).`, { cause: err });
  }
  return new FleetlbError(ErrorCodes.AZURE_REQUEST_FAILED, `${what} failed: ${(err as Error).message}`, { cause: err });
}

/** A plain Resource Manager GET of one resource by id, on the same credential and HTTP client. */
async function armGet(pipeline: Pipeline, access: AzureAccess, id: string, apiVersion: string): Promise<Record<string, unknown>> {
  const url = `${access.endpoint ?? ARM}${id}?api-version=${apiVersion}`;
  const client = access.httpClient ?? (await import('@azure/core-rest-pipeline')).createDefaultHttpClient();
  const res = await pipeline.sendRequest(client, createPipelineRequest({ url, method: 'GET' }));
  const parsed = res.bodyAsText ? (JSON.parse(res.bodyAsText) as Record<string, unknown>) : {};
  if (res.status < 200 || res.status >= 300) {
    throw new RestError(`GET ${id}`, { statusCode: res.status, code: (parsed.error as { code?: string } | undefined)?.code, response: res });
  }
  return parsed;
}

export async function readAzureFleetMembers(ref: AzureFleetRef, access: AzureAccess): Promise<AzureFleetMember[]> {
  const client = new ContainerServiceFleetClient(access.credential, ref.subscriptionId, {
    httpClient: access.httpClient,
    ...(access.endpoint ? { endpoint: access.endpoint } : {}),
  });
  const members: { name: string; group?: string; clusterResourceId: string }[] = [];
  try {
    for await (const m of client.fleetMembers.listByFleet(ref.resourceGroup, ref.fleet)) {
      if (!m.name || !m.properties?.clusterResourceId) continue;
      members.push({ name: m.name, group: m.properties.group, clusterResourceId: m.properties.clusterResourceId });
    }
  } catch (err) {
    throw azureFailure(`listing the members of fleet ${ref.fleet} in resource group ${ref.resourceGroup}`, err);
  }
  const pipeline = createPipelineFromOptions({});
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: access.credential, scopes: `${access.endpoint ?? ARM}/.default` }));
  const out: AzureFleetMember[] = [];
  for (const m of members) {
    const id = parseClusterResourceId(m.clusterResourceId);
    const apiVersion = ClusterApiVersions[id.type.toLowerCase()];
    if (!apiVersion) throw new FleetlbError(ErrorCodes.AZURE_REQUEST_FAILED, `Fleet member ${m.name} is a ${id.type}; fleetlb reads the region of managedClusters and connectedClusters only.`);
    let cluster: Record<string, unknown>;
    try {
      cluster = await armGet(pipeline, access, m.clusterResourceId, apiVersion);
    } catch (err) {
      throw azureFailure(`reading cluster ${id.name} of fleet member ${m.name}`, err);
    }
    if (typeof cluster.location !== 'string' || cluster.location === '') {
      throw new FleetlbError(ErrorCodes.AZURE_REQUEST_FAILED, `Cluster ${id.name} of fleet member ${m.name} has no location in Azure's answer.`);
    }
    out.push({ ...m, subscriptionId: id.subscriptionId, resourceGroup: id.resourceGroup, clusterName: id.name, location: cluster.location });
  }
  return out;
}

/** Azure writes regions as "eastus"; some tools "East US". The label uses Azure's form. */
const normalLocation = (l: string) => l.toLowerCase().replace(/\s+/g, '');

/**
 * The MemberCluster for one fleet member. An existing object keeps its spec (identity, taints:
 * whoever joined it chose them) and its other labels; only the Azure labels are set.
 */
export function memberClusterFor(m: AzureFleetMember, existing?: MemberCluster, identityNamespace = FleetLBNamespace): MemberCluster {
  const labels = {
    ...(existing?.metadata.labels ?? {}),
    [Labels.location]: normalLocation(m.location),
    [Labels.resourceGroup]: m.resourceGroup.toLowerCase(),
    [Labels.subscriptionId]: m.subscriptionId.toLowerCase(),
    [Labels.clusterName]: m.clusterName,
  };
  return {
    apiVersion: `${ClusterGroup}/v1`,
    kind: 'MemberCluster',
    metadata: { name: m.name, labels },
    // The identity `fleetlb install --role member --member-name NAME` gives the member's agent
    // (docs/install.md), so an imported member is ready for it.
    spec: existing?.spec ?? { identity: { kind: 'ServiceAccount', name: memberAgentServiceAccount(m.name), namespace: identityNamespace } },
  };
}
