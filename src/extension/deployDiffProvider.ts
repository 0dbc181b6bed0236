import * as vscode from 'vscode';
import { describeUnshownFile, readFileAtRevision } from '../git/fileAtRevision';
import { GitRunner } from '../git/gitRunner';

export const DEPLOY_DIFF_SCHEME = 'incident-room-git';

interface RevisionRef {
  readonly repo: string;
  readonly rev: string;
  readonly path: string;
}

/** A read-only document of `git show REV:PATH` (the path part keeps the file name, so the editor picks the language). */
export function revisionUri(repo: string, rev: string, path: string): vscode.Uri {
  const query: RevisionRef = { repo, rev, path };
  return vscode.Uri.from({ scheme: DEPLOY_DIFF_SCHEME, path: `/${path}`, query: JSON.stringify(query) });
}

/** Serves the two sides of a deploy diff from git; binary and huge files are described, never dumped. */
export class DeployDiffContentProvider implements vscode.TextDocumentContentProvider {
  private readonly runners = new Map<string, GitRunner>();

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    let ref: RevisionRef;
    try {
      ref = JSON.parse(uri.query) as RevisionRef;
    } catch {
      throw new Error(`not an Incident Room revision URI: ${uri.toString()}`);
    }
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
