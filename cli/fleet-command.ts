import { Command } from 'commander';
import { MemberClusterKind, type MemberCluster } from '../api/cluster.js';
import { memberClusterFor, readAzureFleetMembers, type AzureAccess, type AzureFleetRef } from '../operator/azure-fleet.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { cliClient, explained, formatObjects, parseOutput, resourceWord } from './cluster-access.js';
import { examplesText } from './help.js';

/** `fleetlb fleet import-azure`: MemberClusters on the hub from an Azure Kubernetes Fleet Manager fleet. */

export interface ImportResult {
  objects: MemberCluster[];
  /** `membercluster…/name created|configured|unchanged` lines, in order. */
  lines: string[];
}

/** Reads the fleet and, unless `dryRun`, creates or updates the MemberClusters on the hub. */
export async function importAzureFleet(ref: AzureFleetRef, access: AzureAccess, hub: KubeClient, opts: { dryRun?: boolean } = {}): Promise<ImportResult> {
  const members = await readAzureFleetMembers(ref, access);
  const objects: MemberCluster[] = [];
  const lines: string[] = [];
  for (const m of members) {
    const existing = await explained(`reading MemberCluster ${m.name}`, () => hub.find<MemberCluster>(MemberClusterKind, m.name));
    const obj = memberClusterFor(m, existing);
    objects.push(obj);
    if (opts.dryRun) continue;
    const same = existing && JSON.stringify(existing.metadata.labels ?? {}) === JSON.stringify(obj.metadata.labels);
    if (!same) await explained(`applying ${resourceWord(obj)}`, () => hub.apply(MemberClusterKind, obj));
    lines.push(`${resourceWord(obj)} ${!existing ? 'created' : same ? 'unchanged' : 'configured'} (${obj.metadata.labels?.['fleet.azure.com/location'] ?? ''})`);
  }
  return { objects, lines };
}

export function fleetCommand(): Command {
  const fleet = new Command('fleet').description('bring member clusters from other fleet managers');
  fleet.command('import-azure')
    .description('create or update MemberClusters on the hub from the members of an Azure Kubernetes Fleet Manager fleet, labelled with their region')
    .requiredOption('--subscription <id>', 'Azure subscription of the fleet')
    .requiredOption('--resource-group <name>', 'resource group of the fleet')
    .requiredOption('--fleet <name>', 'name of the Fleet Manager resource')
    .option('--kubeconfig <file>', 'kubeconfig of the fleetlb hub cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--dry-run', 'print the MemberClusters and change nothing')
    .option('-o, --output <format>', 'with --dry-run: yaml (default) or json')
    .addHelpText('after', examplesText(['fleetlb fleet import-azure --subscription 0000… --resource-group fleet-rg --fleet demo --kubeconfig hub.kubeconfig'], 'Azure credentials come from DefaultAzureCredential: az login, AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, workload or managed identity.'))
    .action(async (o: { subscription: string; resourceGroup: string; fleet: string; kubeconfig?: string; dryRun?: boolean; output?: string }) => {
      const { DefaultAzureCredential } = await import('@azure/identity');
      const access: AzureAccess = { credential: new DefaultAzureCredential() };
      const hub = cliClient(o.kubeconfig);
      try {
        process.stderr.write(`Reading the members of fleet ${o.fleet} (resource group ${o.resourceGroup})…\n`);
        const r = await importAzureFleet({ subscriptionId: o.subscription, resourceGroup: o.resourceGroup, fleet: o.fleet }, access, hub, { dryRun: o.dryRun });
        if (o.dryRun) process.stdout.write(formatObjects(r.objects, parseOutput(o.output ?? 'yaml')));
        else for (const l of r.lines) process.stdout.write(l + '\n');
        if (r.objects.length === 0) process.stderr.write(`Fleet ${o.fleet} has no members.\n`);
      } finally {
        hub.close();
      }
    });
  return fleet;
}
