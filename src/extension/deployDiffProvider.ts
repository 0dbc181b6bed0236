import * as vscode from 'vscode';
import * as z from 'zod';
import { describeUnshownFile, readFileAtRevision } from '../git/fileAtRevision';
import { GitRunner } from '../git/gitRunner';
import { gitAllowed } from './workspaceTrust';

export const DEPLOY_DIFF_SCHEME = 'incident-room-git';

const RevisionRefSchema = z.object({ repo: z.string().min(1), rev: z.string().min(1).max(256), path: z.string().min(1).max(4096) });
type RevisionRef = z.infer<typeof RevisionRefSchema>;

/** A read-only document of `git show REV:PATH` (the path part keeps the file name, so the editor picks the language). */
export function revisionUri(repo: string, rev: string, path: string): vscode.Uri {
  const query: RevisionRef = { repo, rev, path };
  return vscode.Uri.from({ scheme: DEPLOY_DIFF_SCHEME, path: `/${path}`, query: JSON.stringify(query) });
}

/** Serves the two sides of a deploy diff from git; binary and huge files are described, never dumped. */
export class DeployDiffContentProvider implements vscode.TextDocumentContentProvider {
  private readonly runners = new Map<string, GitRunner>();

  /**
   * `isListedRepository`: whether a root is one of Recent Deploys' repositories. A revision URI can come from
   * anywhere a link can (a Markdown file, another extension), and its query names the directory git runs in:
   * only the workspace's own repositories are served, and none in Restricted Mode.
   */
  constructor(private readonly isListedRepository: (root: string) => Promise<boolean>) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    let ref: RevisionRef;
    try {
      ref = RevisionRefSchema.parse(JSON.parse(uri.query));
    } catch {
      throw new Error(`not an Incident Room revision URI: ${uri.toString()}`);
    }
    if (!gitAllowed()) throw new Error('Incident Room runs no git in an untrusted workspace (Restricted Mode): trust the workspace to see deploy diffs.');
    if (!(await this.isListedRepository(ref.repo))) throw new Error(`${ref.repo} is not a repository of this workspace's Recent Deploys.`);
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const file = await readFileAtRevision(this.runner(ref.repo), ref.rev, ref.path, { signal: controller.signal });
      if (file.kind === 'missing') return '';
      if (file.kind === 'text') return new TextDecoder('utf-8').decode(file.bytes);
      return `${describeUnshownFile(file) ?? 'Not shown.'}\n`;
    } finally {
      sub.dispose();
    }
  }

  private runner(repo: string): GitRunner {
    let r = this.runners.get(repo);
    if (!r) {
      r = new GitRunner({ cwd: repo });
      this.runners.set(repo, r);
    }
    return r;
  }
}
