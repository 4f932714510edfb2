import { errorMessage } from './core/errors';

const USAGE = `Usage: vdvs <command> [options]

Commands:
  --version   print the version
  --help      print this help
`;

/** The headless `vdvs` command line over src/core, for cron jobs. */
async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write(`${require('../package.json').version}\n`);
    return 0;
  }
  process.stderr.write(`vdvs: unknown command '${command}'\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`vdvs: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
