import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SERVER_DIR = path.join(__dirname, '../../../src/server');

/**
 * Local imports of each module (`./x` → `x`), type-only ones included: a type import is still an arrow between two
 * modules that then know each other, which is what the narrow `RoomOwner` / `RoomConnection` / `SessionHost` types
 * are there to prevent.
 */
function localImports(sources: ReadonlyMap<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  // `import … from './x'`, `import type … from './x'`, `export … from './x'`, `import './x'`, across line breaks.
  const pattern = /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]\.\/([^'"]+)['"]/g;
  for (const [name, text] of sources) {
    const targets = [...text.matchAll(pattern)].map((m) => m[1]!.replace(/\.(ts|js)$/, '')).filter((t) => sources.has(t));
    graph.set(name, [...new Set(targets)]);
  }
  return graph;
}

/** The first cycle found, as `a → b → a`, or null. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node].join(' → ');
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('server import graph', () => {
  it('has no cycle among src/server/*.ts imports, type-only imports included', () => {
    const sources = new Map(readdirSync(SERVER_DIR).filter((f) => f.endsWith('.ts')).map((f) => [f.slice(0, -3), readFileSync(path.join(SERVER_DIR, f), 'utf8')]));
    const graph = localImports(sources);
    assert.ok((graph.get('channel') ?? []).includes('room'), 'the parser sees channel.ts import room.ts');
    assert.equal(findCycle(graph), null);
  });

  it('the check sees a cycle made of a type-only import split over lines', () => {
    const sources = new Map([
      ['channel', "import { Room } from './room';\nimport { x } from '../protocol/codes';"],
      ['room', "import type {\n  ChannelState,\n} from './channel';"],
      ['frames', "export { a } from './logger';"],
      ['logger', ''],
    ]);
    assert.equal(findCycle(localImports(sources)), 'channel → room → channel');
    assert.equal(findCycle(localImports(new Map([['a', "import './b';"], ['b', "export * from './a';"]]))), 'a → b → a');
    assert.equal(findCycle(localImports(new Map([['a', "import { b } from './b';"], ['b', '']]))), null);
  });
});
