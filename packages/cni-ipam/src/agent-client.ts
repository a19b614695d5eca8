// The client side of the node agent's local API: JSON over HTTP on a unix socket (crd-types' AGENT_PATHS and
// request/response schemas). The plugins reach the agent only through this; they never talk to Kubernetes.
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
import { AnswerTimeoutError, ConnectionClosedError, MalformedAnswerError, postUnix } from './unix-http.js';
import type { UnixAnswer } from './unix-http.js';

export interface AgentClientOptions {
  /** The agent's unix socket (the network configuration's `agentSocket`). */
  readonly socketPath: string;
  /** Give up on one request after this long. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * How a request reaches the agent; default: HTTP over `socketPath`. Only the snapshot warm-up replaces it (with
   * canned answers), so that everything above the socket runs as it does for a real call.
   */
  readonly transport?: (path: string, body: string) => Promise<UnixAnswer>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 4 * 2 ** 20;

/**
 * The agent could not be reached (no socket, nobody listening, no answer in time, the connection reset or closed before
 * the whole answer): code 11, try again later, so that runtimes retry as the spec intends.
 */
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

type Answer = UnixAnswer;

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === undefined ? (err as Error).message : code;
}

export class AgentClient {
  readonly socketPath: string;
  readonly #timeoutMs: number;
  readonly #transport: ((path: string, body: string) => Promise<UnixAnswer>) | undefined;

  constructor(options: AgentClientOptions) {
    this.socketPath = options.socketPath;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#transport = options.transport;
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
      throw new CniFailure({
        code: CNI_OTHER_ERROR,
        msg: `the node agent answered ${path} with HTTP ${answer.status} and a body that is not JSON`,
        details: answer.body.slice(0, 500),
      });
    }
  }

  #failure(path: string, answer: Answer, json: unknown): CniFailure {
    const parsed = AgentErrorSchema.safeParse(json);
    if (!parsed.success) {
      return new CniFailure({
        code: CNI_OTHER_ERROR,
        msg: `the node agent answered ${path} with HTTP ${answer.status}`,
        details: answer.body.slice(0, 500),
      });
    }
    const e = parsed.data;
    const details = [e.field === undefined ? undefined : `field ${e.field}`, e.details]
      .filter((d) => d !== undefined)
      .join('; ');
    return new CniFailure({ code: e.code, msg: `node agent: ${e.msg}`, details: details === '' ? undefined : details });
  }

  async #post(path: string, payload: string): Promise<Answer> {
    if (this.#transport !== undefined) return this.#transport(path, payload);
    try {
      return await postUnix({
        socketPath: this.socketPath,
        path,
        body: payload,
        timeoutMs: this.#timeoutMs,
        maxBytes: MAX_ANSWER_BYTES,
      });
    } catch (err) {
      if (err instanceof AnswerTimeoutError)
        throw new AgentUnreachableError(
          this.socketPath,
          `no answer to ${path} within ${this.#timeoutMs / 1000} s`,
          err,
        );
      if (err instanceof ConnectionClosedError) {
        throw new AgentUnreachableError(
          this.socketPath,
          `${err.message} to ${path}; the agent may have restarted`,
          err,
        );
      }
      if (err instanceof MalformedAnswerError)
        throw new CniFailure({
          code: CNI_OTHER_ERROR,
          msg: `the node agent's answer to ${path} is not HTTP this plugin can read: ${err.message}`,
          cause: err,
        });
      throw new AgentUnreachableError(this.socketPath, reasonOf(err), err);
    }
  }
}
