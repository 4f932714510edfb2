import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeArgs } from '../../src/ui/commandArgs';

class Node {
  getTreeItem() {
    return {};
  }
}

describe('decodeArgs: the one argument shape of every command (target?, input?)', () => {
  it('a tree node from a menu is the target, with no input', () => {
    const node = new Node();
    assert.deepEqual(decodeArgs([node]), { node, input: {} });
  });
  it('a multi-selection passes the node and the selection: the node is the target, the array is no input', () => {
    const node = new Node();
    assert.deepEqual(decodeArgs([node, [node]]), { node, input: {} });
  });
  it('an input object alone (tests, error-node actions) is the input, not the target', () => {
    const input = { hostId: 'h1' };
    const got = decodeArgs([input]);
    assert.equal(got.node, undefined);
    assert.equal(got.input, input);
  });
  it('undefined, then an input: no target, the input', () => {
    const input = { prompter: {} };
    assert.deepEqual(decodeArgs([undefined, input]), { node: undefined, input });
  });
  it('a path or a URI-like class instance is a target; a class instance is never taken for the input', () => {
    assert.deepEqual(decodeArgs(['/backups/x']), { node: '/backups/x', input: {} });
    class Uri {
      fsPath = '/x';
    }
    const uri = new Uri();
    assert.deepEqual(decodeArgs([uri]), { node: uri, input: {} });
  });
  it('no arguments (the command palette): nothing', () => {
    assert.deepEqual(decodeArgs([]), { node: undefined, input: {} });
  });
});
