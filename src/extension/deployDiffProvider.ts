import * as vscode from 'vscode';
import type * as z from 'zod';
import { describeUnshownFile } from '../git/fileAtRevision';
import type { GitRepository } from '../git/gitRepository';
import { gitAllowed } from './workspaceTrust';

export const DEPLOY_DIFF_SCHEME = 'incident-room-git';

/** The query of a revision URI, validated on arrival (it can come from any link). zod loads with the first document, not at activation. */
function revisionRefSchema() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const z = require('zod') as typeof import('zod');
  return z.object({ repo: z.string().min(1), rev: z.string().min(1).max(256), path: z.string().min(1).max(4096) });
}
type RevisionRef = z.infer<ReturnType<typeof revisionRefSchema>>;

/** A read-only document of `git show REV:PATH` (the path part keeps the file name, so the editor picks the language). */
export function revisionUri(repo: string, rev: string, path: string): vscode.Uri {
  const query: RevisionRef = { repo, rev, path };
  return vscode.Uri.from({ scheme: DEPLOY_DIFF_SCHEME, path: `/${path}`, query: JSON.stringify(query) });
}

/** Serves the two sides of a deploy diff from git; binary and huge files are described, never dumped. */
export class DeployDiffContentProvider implements vscode.TextDocumentContentProvider {
  private schema: ReturnType<typeof revisionRefSchema> | undefined;

  /**
   * `listedRepository`: the repository of Recent Deploys with this root (its git state, from the container's
   * GitRepositories), or undefined. A revision URI can come from anywhere a link can (a Markdown file, another
   * extension), and its query names the directory git runs in: only the workspace's own repositories are served,
   * and none in Restricted Mode.
   */
  constructor(private readonly listedRepository: (root: string) => Promise<GitRepository | undefined>) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    let ref: RevisionRef;
    try {
      ref = (this.schema ??= revisionRefSchema()).parse(JSON.parse(uri.query));
    } catch {
      throw new Error(`not an Incident Room revision URI: ${uri.toString()}`);
    }
    if (!gitAllowed()) throw new Error('Incident Room runs no git in an untrusted workspace (Restricted Mode): trust the workspace to see deploy diffs.');
    const repository = await this.listedRepository(ref.repo);
    if (!repository) throw new Error(`${ref.repo} is not a repository of this workspace's Recent Deploys.`);
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const file = await repository.readFileAtRevision(ref.rev, ref.path, { signal: controller.signal });
      if (file.kind === 'missing') return '';
      if (file.kind === 'text') return new TextDecoder('utf-8').decode(file.bytes);
      return `${describeUnshownFile(file) ?? 'Not shown.'}\n`;
    } finally {
      sub.dispose();
    }
  }
}
