// Preloaded into the `vdvs` CLI by the benches (node --require): prints the process's own peak RSS
// at exit, which /usr/bin/time cannot tell apart from a child's (restic runs as one).
process.on('exit', () => process.stderr.write(`SELF_MAXRSS_KB ${process.resourceUsage().maxRSS}\n`));
