import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { convertMetalLBConfig } from '../operator/metallb-config.js';
import { formatSuggestion, suggestPool, type AvoidRange } from '../operator/pool-suggest.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { cliClient, formatObjects, parseOutput } from './cluster-access.js';
import { clusterRanges, poolFacts, rangeOf } from './cluster-facts.js';
import { examplesText } from './help.js';

/** `fleetlb pool suggest` and `fleetlb convert metallb-config`. */

function positiveInt(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--count ${text} is not a positive whole number.`);
  return n;
}

export function poolCommand(): Command {
  const pool = new Command('pool').description('plan address pools');
  pool.command('suggest')
    .description('subnet facts like sipcalc, and a free range at the top of the subnet for an IPAddressPool')
    .requiredOption('--cidr <address/len>', 'an address of the node network with its prefix length, as `ip addr` shows it')
    .option('--count <n>', 'how many addresses the pool should have', positiveInt, 250)
    .option('--kubeconfig <file>', 'also avoid the cluster\'s node, pod and service addresses and existing pools')
    .option('-o, --output <format>', 'json instead of the report')
    .addHelpText('after', examplesText(['fleetlb pool suggest --cidr 172.19.0.1/16', 'fleetlb pool suggest --cidr 192.0.2.1/24 --count 20 --kubeconfig ~/.kube/config']))
    .action(async (o: { cidr: string; count: number; kubeconfig?: string; output?: string }) => {
      let avoid: AvoidRange[] = [];
      if (o.kubeconfig) {
        const kube = cliClient(o.kubeconfig);
        try {
          const [cluster, pools] = await Promise.all([clusterRanges(kube), poolFacts(kube)]);
          avoid = [...cluster, ...pools.flatMap((p) => p.addresses.flatMap((a) => rangeOf(a, `IPAddressPool ${p.namespace}/${p.name}`)))];
        } finally {
          kube.close();
        }
      }
      const s = suggestPool(o.cidr, o.count, avoid);
      if (o.output === 'json') {
        const json = { ...s, subnet: { ...s.subnet, size: s.subnet.size.toString() }, avoided: s.avoided.map((a) => ({ range: a.range.text, why: a.why })) };
        process.stdout.write(JSON.stringify(json, null, 2) + '\n');
      } else if (o.output !== undefined) {
        throw new FleetlbError(ErrorCodes.CLI_USAGE, `-o ${o.output} is not supported here: use json, or leave it out for the report.`);
      } else {
        process.stdout.write(formatSuggestion(s));
      }
      if (!s.range) process.exitCode = 1;
    });
  return pool;
}

export function convertCommand(): Command {
  const convert = new Command('convert').description('convert configuration from other tools into fleetlb\'s objects');
  convert.command('metallb-config')
    .argument('<file>', 'the legacy MetalLB ConfigMap (or its data.config), or - for standard input')
    .description('turn the legacy MetalLB ConfigMap (MetalLB ≤ 0.12) into metallb.io CRs, with a line for anything that has no equivalent')
    .option('-n, --namespace <ns>', 'namespace of the resulting objects', 'fleetlb-system')
    .option('-o, --output <format>', 'yaml (default) or json')
    .addHelpText('after', examplesText(['fleetlb convert metallb-config examples/metallb/legacy-configmap.yaml | kubectl apply -f -', 'kubectl get cm -n metallb-system config -o yaml | fleetlb convert metallb-config -']))
    .action((file: string, o: { namespace: string; output?: string }) => {
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (err) {
        throw new FleetlbError(ErrorCodes.CLI_USAGE, `cannot read ${file}: ${(err as Error).message}`);
      }
      const { objects, notes } = convertMetalLBConfig(text, { namespace: o.namespace });
      process.stdout.write(formatObjects(objects, parseOutput(o.output ?? 'yaml')));
      for (const n of notes) process.stderr.write(`note: ${n}\n`);
    });
  return convert;
}
