import { UserError } from '../errors';
import { CheckOptions, runChecks } from './checks';
import { collectFacts, DoctorFacts, DoctorTargets } from './collect';
import { Finding, Fix, somethingWrong } from './findings';
import { carryOut } from './fixes';

export interface DoctorReport {
  findings: Finding[];
  /** true when any finding is an error or a warning. */
  wrong: boolean;
  facts: DoctorFacts;
}

/** Collects once over every configured host, then runs every check. */
export async function runDoctor(targets: DoctorTargets, options: CheckOptions = {}): Promise<DoctorReport> {
  if (!targets.esxi.length && !targets.docker.length)
    throw new UserError(
      'No hosts to examine.',
      'Add ESXi hosts and Docker hosts to the config (esxiHosts, dockerHosts).',
      'DOCTOR_NO_HOSTS',
    );
  const facts = await collectFacts(targets);
  const findings = runChecks(facts, options);
  return { findings, wrong: somethingWrong(findings), facts };
}

export function findFix(report: DoctorReport, fixId: string): { finding: Finding; fix: Fix } {
  for (const finding of report.findings) {
    const fix = finding.fixes.find((f) => f.id === fixId);
    if (fix) return { finding, fix };
  }
  const ids = report.findings.flatMap((f) => f.fixes.map((x) => x.id));
  throw new UserError(
    `No fix ${fixId} in this report: what it fixes may be gone already.`,
    ids.length ? `Fixes now: ${ids.join(', ')}.` : 'The report offers no fixes.',
    'DOCTOR_NO_SUCH_FIX',
  );
}

export interface FixOutcome {
  fix: Fix;
  message: string;
  /** The report of the doctor run after the fix: the finding must be gone from it. */
  after: DoctorReport;
}

/**
 * Runs one fix of a fresh report, only when `confirm` (shown the fix's description and command)
 * agrees, then runs the doctor again: the finding must be gone, or it fails with DOCTOR_FIX_DID_NOT_CLEAR.
 */
export async function applyFix(
  targets: DoctorTargets,
  fixId: string,
  confirm: (fix: Fix, finding: Finding) => Promise<boolean>,
  options: CheckOptions = {},
): Promise<FixOutcome | undefined> {
  const before = await runDoctor(targets, options);
  const { finding, fix } = findFix(before, fixId);
  if (!(await confirm(fix, finding))) return undefined;
  const message = await carryOut(fix.plan, targets, `${finding.title} (${finding.id})`);
  const after = await runDoctor(targets, options);
  if (after.findings.some((f) => f.id === finding.id && f.fixes.some((x) => x.id === fix.id)))
    throw new UserError(
      `${message}, but the doctor still finds: ${finding.title}.`,
      'Run vdvs doctor again to see the state now.',
      'DOCTOR_FIX_DID_NOT_CLEAR',
    );
  return { fix, message, after };
}
