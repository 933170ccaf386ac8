import { Command, CommanderError } from 'commander';
import { ErrorCodes, isFleetlbError } from '../runtime/errors.js';
import { runDemo } from '../lab/demo.js';
import { labCommand } from './lab-command.js';
import { hubCommand } from './hub-command.js';
import { examplesText } from './help.js';
import { memberAgentCommand } from './member-agent-command.js';
import { speakerCommand } from './speaker-command.js';
import { lbCommand } from './lb-command.js';
import { bgpPeerCommand } from './bgp-peer-command.js';
import { convertCommand, poolCommand } from './pool-command.js';
import { fleetCommand } from './fleet-command.js';
import { doctorCommand } from './doctor-command.js';
import { explainCommand } from './explain-command.js';
import { installCommands } from './install-command.js';

export function program(): Command {
  const p = new Command('fleetlb')
    .description('multi-cluster fleet L4 load balancing for Kubernetes on your own network')
    .showHelpAfterError()
    .exitOverride();
  p.addCommand(hubCommand());
  p.addCommand(memberAgentCommand());
  p.addCommand(speakerCommand());
  p.addCommand(labCommand());
  p.addCommand(lbCommand());
  p.addCommand(bgpPeerCommand());
  p.addCommand(poolCommand());
  p.addCommand(convertCommand());
  p.addCommand(fleetCommand());
  p.addCommand(doctorCommand());
  p.addCommand(explainCommand());
  for (const c of installCommands()) p.addCommand(c);
  p.command('demo')
    .description('bring up the lab fleet, deploy fleetlb and play the Fleet Manager kuard walkthrough with its real output (as root)')
    .option('--dir <dir>', 'lab directory (default .lab)')
    .addHelpText('after', examplesText(['npm run demo', 'fleetlb demo --dir /tmp/lab']))
    .action(async (o: { dir?: string }) => {
      await runDemo({ dir: o.dir, out: (l) => process.stdout.write(l + '\n'), note: (l) => process.stderr.write(l + '\n') });
    });
  return p;
}

/** Runs the CLI and returns the exit code; errors become one clear sentence, not a stack. */
export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isFleetlbError(err)) {
      process.stderr.write(`fleetlb: ${err.message}\n`);
      for (const d of err.details) process.stderr.write(`  | ${d}\n`);
      if (process.env.FLEETLB_DEBUG) process.stderr.write(`[${err.code}]\n`);
      return err.code === ErrorCodes.NOT_IMPLEMENTED || err.code === ErrorCodes.CLI_USAGE ? 2 : 1;
    }
    process.stderr.write(`fleetlb: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
