/**
 * Listing 1,000 VMDKs in dockvols: our client (SearchDatastoreSubFolders_Task + the task's result,
 * parsed and normalized) against curl sending the same two SOAP requests on the same session, in
 * the same run. Target: ours ≤ 1.5× curl. Also: soap client creation (cold = first import of soap
 * and WSDL parse, warm = later sessions; target ≤ 150 ms) and this process's memory after listing.
 *   node out/bench/vsphere-list.js [--runs N] [--count VMDKS]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectToHost } from '../src/core/vsphere/connect';
import { searchDatastore } from '../src/core/vsphere/datastoreBrowser';
import { listDatastores } from '../src/core/vsphere/inventory';
import { createSoapClient } from '../src/core/vsphere/session';
import { readVsphereLab } from '../test/fixtures/vsphereLab';
import { arg, median } from './lib/benchArgs';

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:vim25"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

async function main(): Promise<void> {
  const { esx: lab } = await readVsphereLab();
  const runs = arg('runs') ?? 5;
  const count = arg('count') ?? 1000;
  const folder = `vsphere-bench-${process.pid}`;
  const dir = join(lab.datastorePath, 'dockvols', folder);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `bench-${String(i).padStart(4, '0')}.vmdk`), '# Disk DescriptorFile\n');

  let t = performance.now();
  await import('soap');
  const importSoap = performance.now() - t;
  t = performance.now();
  await createSoapClient(lab.url);
  const coldCreate = performance.now() - t;
  t = performance.now();
  await createSoapClient(lab.url);
  const warmCreate = performance.now() - t;

  const session = await connectToHost(
    { id: 'bench', name: 'bench', url: lab.url, user: lab.user, thumbprint: lab.thumbprint },
    lab.password,
    { timeoutMs: 30_000 },
  );
  const ds = (await listDatastores(session, session.serviceContent.rootFolder)).find((d) => d.name === lab.datastore)!;
  const cookie = session.httpOptions().headers.Cookie;
  const certPath = (lab as unknown as { certPath: string }).certPath;
  const curl = (body: string) =>
    execFileSync(
      'curl',
      [
        '-sS',
        '--fail',
        '--cacert',
        certPath,
        '-H',
        'Content-Type: text/xml; charset=utf-8',
        '-H',
        'SOAPAction: urn:vim25/6.0',
        '-H',
        `Cookie: ${cookie}`,
        '--data-binary',
        '@-',
        lab.url,
      ],
      { input: envelope(body), maxBuffer: 64 * 1024 * 1024 },
    ).toString();
  const dsPath = `[${lab.datastore}] dockvols/${folder}`;
  const searchBody = `<SearchDatastoreSubFolders_Task><_this type="HostDatastoreBrowser">${ds.browser!.value}</_this><datastorePath>${dsPath}</datastorePath><searchSpec><query xsi:type="FolderFileQuery"/><query xsi:type="VmDiskFileQuery"><details><diskType>true</diskType><capacityKb>true</capacityKb><hardwareVersion>false</hardwareVersion><thin>true</thin></details></query><details><fileType>true</fileType><fileSize>true</fileSize><modification>true</modification><fileOwner>false</fileOwner></details><matchPattern>*</matchPattern></searchSpec></SearchDatastoreSubFolders_Task>`;
  const infoBody = (task: string) =>
    `<RetrievePropertiesEx><_this type="PropertyCollector">${session.serviceContent.propertyCollector.value}</_this><specSet><propSet><type>Task</type><pathSet>info</pathSet></propSet><objectSet><obj type="Task">${task}</obj><skip>false</skip></objectSet></specSet><options/></RetrievePropertiesEx>`;

  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      const found = await searchDatastore(
        session,
        ds.browser!,
        { datastore: lab.datastore, path: `dockvols/${folder}` },
        { subFolders: true },
      );
      ours.push(performance.now() - t);
      if (found.filter((e) => e.kind === 'vmdk').length !== count)
        throw new Error(`ours listed ${found.length} entries, expected ${count}`);

      t = performance.now();
      const task = /<returnval type="Task">([^<]+)</.exec(curl(searchBody))?.[1];
      if (!task) throw new Error('curl: no task');
      const result = curl(infoBody(task));
      theirs.push(performance.now() - t);
      const n = (result.match(/\.vmdk</g) ?? []).length;
      if (n !== count) throw new Error(`curl saw ${n} VMDKs, expected ${count}`);
    }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const mem = process.memoryUsage();
  const ratio = median(ours) / median(theirs);
  console.log(`vsphere-list: ${count} VMDKs, ${runs} runs (median)`);
  console.log(`  ours  ${median(ours).toFixed(1)} ms   [${ours.map((v) => v.toFixed(0)).join(', ')}]`);
  console.log(`  curl  ${median(theirs).toFixed(1)} ms   [${theirs.map((v) => v.toFixed(0)).join(', ')}]`);
  console.log(`  ratio ours/curl ${ratio.toFixed(2)} (target ≤ 1.5) ${ratio <= 1.5 ? 'OK' : 'OVER'}`);
  console.log(
    `  soap client creation: first ${coldCreate.toFixed(0)} ms (WSDL parse), later ${warmCreate.toFixed(0)} ms (target ≤ 150); loading npm soap itself ${importSoap.toFixed(0)} ms`,
  );
  console.log(`  memory after listing: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
