import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DockerContainer } from '../../src/core/docker/containers';
import { joinShortNames } from '../../src/core/docker/hostSnapshot';
import type { DockerVolume } from '../../src/core/docker/volumes';

const container = (id: string, volume: string): DockerContainer => ({
  id,
  name: id,
  image: 'alpine',
  state: 'running',
  status: 'Up',
  labels: {},
  mounts: [{ volume, target: '/vmdk', readOnly: false, driver: 'vsphere:latest' }],
});
const volume = (name: string) => ({ name, driver: 'vsphere:latest' }) as DockerVolume;

describe('Docker Hosts: containers of vDVS volumes', () => {
  it('a container that mounted the short name joins the one listed vol@datastore', () => {
    const app = container('app', 'data');
    const joined = joinShortNames(new Map([['data', [app]]]), [volume('data@datastore1'), volume('other@datastore1')]);
    assert.deepEqual(
      joined.get('data@datastore1')?.map((c) => c.id),
      ['app'],
    );
    assert.equal(joined.get('other@datastore1'), undefined);
  });

  it('keeps containers that used the full name, without duplicates', () => {
    const a = container('a', 'data@datastore1');
    const b = container('b', 'data');
    const joined = joinShortNames(
      new Map([
        ['data@datastore1', [a]],
        ['data', [b, a]],
      ]),
      [volume('data@datastore1')],
    );
    assert.deepEqual(
      joined.get('data@datastore1')?.map((c) => c.id),
      ['a', 'b'],
    );
  });

  it('leaves a short name alone when two datastores hold a volume of that name', () => {
    const joined = joinShortNames(new Map([['data', [container('x', 'data')]]]), [volume('data@ds1'), volume('data@ds2')]);
    assert.equal(joined.get('data@ds1'), undefined);
    assert.equal(joined.get('data@ds2'), undefined);
    assert.equal(joined.get('data')?.length, 1);
  });
});
