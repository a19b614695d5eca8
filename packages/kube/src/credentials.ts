// Credentials as they are now, not as they were at start-up. A bound service-account token is rotated by the
// kubelet (the projected file is replaced about hourly), so a token file is read again whenever the file changed;
// the CA and client certificate (files or inline data) are resolved per request too, and a change makes the
// client open new connections with them.
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KubeConfig, dumpYaml, loadYaml, type User } from '@kubernetes/client-node';
import { KubeError } from './errors.js';

/** A bearer token in a file, read again whenever the file changed (another inode, size or mtime). */
export class TokenFile {
  readonly path: string;
  #stamp = '';
  #token = '';

  constructor(file: string) {
    this.path = file;
  }

  async read(): Promise<string> {
    const st = await fs.stat(this.path, { bigint: true });
    const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    if (stamp !== this.#stamp) {
      this.#token = (await fs.readFile(this.path, 'utf8')).trim();
      this.#stamp = stamp;
    }
    return this.#token;
  }
}

interface TokenFileProvider {
  readonly name: string;
  readonly config: { readonly tokenFile?: unknown };
}

/** The token file of the current user: in-cluster it is the service-account token; `useTokenFile` sets one. */
export function tokenFileOf(kc: KubeConfig): string | undefined {
  const provider = kc.getCurrentUser()?.authProvider as TokenFileProvider | undefined;
  const file = provider?.config.tokenFile;
  return typeof file === 'string' && file !== '' ? file : undefined;
}

/** Makes the current user authenticate with the token in `file`, read again whenever it changes. */
export function useTokenFile(kc: KubeConfig, file: string): void {
  const current = kc.getCurrentUser();
  if (current === null)
    throw new KubeError('CONFIG', 'the kubeconfig has no current user: set current-context or pass --kubeconfig');
  const rest: Omit<User, 'token'> & { token?: string } = { ...current };
  delete rest.token;
  const user: User = { ...rest, authProvider: { name: 'tokenFile', config: { tokenFile: file } } };
  kc.users = kc.users.map((u) => (u.name === current.name ? user : u));
}

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; absent: `fallback`. */
  readonly file?: string | undefined;
  /** Without a file: the pod's service account (`in-cluster`) or client-node's default search (`default`). */
  readonly fallback: 'in-cluster' | 'default';
}

/**
 * Loads a kubeconfig. client-node reads a user's `token-file` once, at load (and relative to the working directory,
 * not to the file); this resolves it against the kubeconfig's directory and keeps it as a path, so that the client
 * reads the file again when it is rotated (as kubectl and client-go do).
 */
export function loadKubeConfig(options: LoadKubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  if (options.file === undefined) {
    if (options.fallback === 'in-cluster') kc.loadFromCluster();
    else kc.loadFromDefault();
    return kc;
  }
  const dir = path.dirname(options.file);
  const doc = loadYaml(readFileSync(options.file, 'utf8')) as KubeconfigDoc | null;
  const tokenFiles = new Map<string, string>();
  for (const entry of doc?.users ?? []) {
    const file = entry.user?.['token-file'];
    if (typeof entry.name !== 'string' || typeof file !== 'string' || file === '' || entry.user === undefined) continue;
    tokenFiles.set(entry.name, path.isAbsolute(file) ? file : path.join(dir, file));
    // client-node would read it now, relative to the working directory; the client reads it per request instead.
    delete entry.user['token-file'];
  }
  kc.loadFromString(dumpYaml(doc ?? {}));
  kc.makePathsAbsolute(dir);
  const current = kc.getCurrentUser();
  const tokenFile = current === null ? undefined : tokenFiles.get(current.name);
  if (tokenFile !== undefined) useTokenFile(kc, tokenFile);
  return kc;
}

interface KubeconfigDoc {
  users?: { name?: unknown; user?: Record<string, unknown> }[];
}
