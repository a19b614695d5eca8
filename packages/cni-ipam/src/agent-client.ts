// The client side of the node agent's local API: JSON over HTTP on a unix socket (crd-types' AGENT_PATHS and
// request/response schemas). The plugins reach the agent only through this; they never talk to Kubernetes.
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import {
  AGENT_PATHS,
  AgentErrorSchema,
  AllocateResponseSchema,
  CniErrorCode,
  GcResponseSchema,
  LookupResponseSchema,
  ReleaseResponseSchema,
  SelectResponseSchema,
  StatusResponseSchema,
  formatProblem,
  parseWith,
} from '@multinic/crd-types';
import type {
  AllocateRequest,
  AllocateResponse,
  GcRequest,
  GcResponse,
  LookupRequest,
  LookupResponse,
  ReleaseRequest,
  ReleaseResponse,
  SelectRequest,
  SelectResponse,
  StatusRequest,
  StatusResponse,
} from '@multinic/crd-types';
import { CNI_OTHER_ERROR, CniFailure } from '@multinic/cni-skel';

export interface AgentClientOptions {
  /** The agent's unix socket (the network configuration's `agentSocket`). */
  readonly socketPath: string;
  /** Give up on one request after this long. Default 30 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 4 * 2 ** 20;

/** The agent could not be reached at all (no socket, nobody listening, no answer): code 11, try again later. */
export class AgentUnreachableError extends CniFailure {
  constructor(socketPath: string, reason: string, cause?: unknown) {
    super({
      code: CniErrorCode.TryAgainLater,
      msg: `the multinic node agent is not reachable at ${socketPath} (${reason}): is the node agent running on this node?`,
      cause,
    });
    this.name = 'AgentUnreachableError';
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === undefined ? (err as Error).message : code;
}

export class AgentClient {
  readonly socketPath: string;
  readonly #timeoutMs: number;

  constructor(options: AgentClientOptions) {
    this.socketPath = options.socketPath;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  select(body: SelectRequest): Promise<SelectResponse> {
    return this.#call(AGENT_PATHS.select, body, SelectResponseSchema);
  }

  allocate(body: AllocateRequest): Promise<AllocateResponse> {
    return this.#call(AGENT_PATHS.allocate, body, AllocateResponseSchema);
  }

  release(body: ReleaseRequest): Promise<ReleaseResponse> {
    return this.#call(AGENT_PATHS.release, body, ReleaseResponseSchema);
  }

  lookup(body: LookupRequest): Promise<LookupResponse> {
    return this.#call(AGENT_PATHS.lookup, body, LookupResponseSchema);
  }

  gc(body: GcRequest): Promise<GcResponse> {
    return this.#call(AGENT_PATHS.gc, body, GcResponseSchema);
  }

  status(body: StatusRequest): Promise<StatusResponse> {
    return this.#call(AGENT_PATHS.status, body, StatusResponseSchema);
  }

  async #call<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.output<S>> {
    const answer = await this.#post(path, JSON.stringify(body));
    const json = this.#json(path, answer);
    if (answer.status < 200 || answer.status > 299) throw this.#failure(path, answer, json);
    const parsed = parseWith(schema, json);
    if (!parsed.ok) {
      throw new CniFailure({
        code: CNI_OTHER_ERROR,
        msg: `the node agent answered ${path} with a body this plugin does not understand: are the agent and the plugin the same version?`,
        details: parsed.problems.map(formatProblem).join('; '),
      });
    }
    return parsed.value;
  }

  #json(path: string, answer: Answer): unknown {
    try {
      return JSON.parse(answer.body) as unknown;
    } catch {
      throw new CniFailure({ code: CNI_OTHER_ERROR, msg: `the node agent answered ${path} with HTTP ${answer.status} and a body that is not JSON`, details: answer.body.slice(0, 500) });
    }
  }

  #failure(path: string, answer: Answer, json: unknown): CniFailure {
    const parsed = AgentErrorSchema.safeParse(json);
    if (!parsed.success) {
      return new CniFailure({ code: CNI_OTHER_ERROR, msg: `the node agent answered ${path} with HTTP ${answer.status}`, details: answer.body.slice(0, 500) });
    }
    const e = parsed.data;
    const details = [e.field === undefined ? undefined : `field ${e.field}`, e.details].filter((d) => d !== undefined).join('; ');
    return new CniFailure({ code: e.code, msg: `node agent: ${e.msg}`, details: details === '' ? undefined : details });
  }

  #post(path: string, payload: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          path,
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          timeout: this.#timeoutMs,
        },
        (res) => collect(res, resolve, reject),
      );
      req.on('timeout', () => req.destroy(new AgentUnreachableError(this.socketPath, `no answer to ${path} within ${this.#timeoutMs / 1000} s`)));
      req.on('error', (err) => reject(err instanceof CniFailure ? err : new AgentUnreachableError(this.socketPath, reasonOf(err), err)));
      req.end(payload);
    });
  }
}

function collect(res: IncomingMessage, resolve: (a: Answer) => void, reject: (e: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) res.destroy(new CniFailure({ code: CNI_OTHER_ERROR, msg: `the node agent's answer exceeds ${MAX_ANSWER_BYTES} bytes` }));
    else chunks.push(chunk);
  });
  res.on('error', reject);
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
}
