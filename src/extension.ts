import * as vscode from 'vscode';
import type { Features } from './ui/features';
import type { TestApi } from './ui/testApi';
import type { ViewId, Views } from './ui/trees/registerViews';
import { LazyTree } from './ui/lazyTree';

/** The parts of package.json the shell registers. */
interface Contributes {
  commands: { command: string }[];
  views: { vdvs: { id: string }[] };
  taskDefinitions: { type: string }[];
}

/** What activate() returns while VS Code runs the extension's own tests. */
export interface TestApiHandle {
  testApi(): TestApi | undefined;
}

/**
 * The activation shell: registers what package.json contributes (commands, views, the task type) and
 * nothing else. The features themselves (dist/features.js) load on first use: the first command, the
 * first paint of a view, the first task query. Returns a way to the test API only when VS Code runs
 * the extension's tests.
 */
export function activate(context: vscode.ExtensionContext): TestApiHandle | undefined {
  const contributes = (context.extension.packageJSON as { contributes: Contributes }).contributes;
  let features: Features | undefined;
  const views: Record<string, vscode.TreeView<unknown>> = {};
  const load = (): Features => {
    // a plain require of the sibling bundle: esbuild keeps it external (esbuild.mjs), so it loads here, once
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    features ??= (require('./features.js') as typeof import('./ui/features')).start(context, views as Views);
    return features;
  };
  for (const { id } of contributes.views.vdvs) {
    const tree = new LazyTree(() => load().providers[id as ViewId]);
    views[id] = vscode.window.createTreeView(id, { treeDataProvider: tree, showCollapseAll: true });
    context.subscriptions.push(views[id], tree);
  }
  for (const { command } of contributes.commands) {
    context.subscriptions.push(vscode.commands.registerCommand(command, (...args: unknown[]) => load().run(command, args)));
  }
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(contributes.taskDefinitions[0].type, {
      provideTasks: (token) => load().tasks.provideTasks(token),
      resolveTask: (task, token) => load().tasks.resolveTask(task, token),
    }),
  );
  // a getter, not the API itself: activation must not load the features even under test (bench/activation)
  return context.extensionMode === vscode.ExtensionMode.Test ? { testApi: () => load().testApi } : undefined;
}

export function deactivate(): void {}
