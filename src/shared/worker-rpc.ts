// The one protocol between the main thread and an inference worker (text
// models, image models). onnxruntime-node's run() blocks its thread, so
// sessions live in workers; this carries calls to them and answers back.
//
// Wire: the worker says `ready` (with what it loaded) or `init-failed` (a
// coded error) once; each `call` carries one or more ids and is answered
// once per id (an image batch is one call whose images are answered one by
// one, so a cheap one need not wait for the whole batch); calls run one after
// another; `close` runs the worker's own close after the calls before it, and
// the worker leaves on its own (terminate() from outside can hit ONNX
// Runtime mid-call). Every failure reaches the caller as a GroundstreamError
// with the worker's code.
import { parentPort, workerData, Worker } from 'node:worker_threads'
import type { Transferable } from 'node:worker_threads'
import { GroundstreamError, errorMessage, isGroundstreamError, type ErrorCode } from '../errors/index.js'

type CallMessage = { type: 'call', ids: number[], method: string, payload: unknown } | { type: 'close' }

type ReplyMessage =
  | { type: 'ready', info: unknown }
  | { type: 'init-failed', code: ErrorCode, message: string }
  | { type: 'result', id: number, value: unknown }
  | { type: 'error', id: number, code: ErrorCode, message: string }

// ---------------------------------------------------------------- main thread

export interface StartWorkerOptions {
  /** How messages name the worker: `text-model worker`, `image worker`. */
  name: string
  workerData?: unknown
  /** How long close() waits for the worker to leave before terminating it. */
  closeTimeoutMs?: number
}

export interface WorkerRpc<Info = unknown> {
  /** What the worker reported when it became ready. */
  readonly info: Info
  /** Calls not yet answered. */
  readonly pending: number
  /** One call, one answer. */
  call<T> (method: string, payload: unknown, transfer?: readonly Transferable[]): Promise<T>
  /** One message answered once per id: `build` gets the ids to put in the payload; the answers come back in the same order. */
  callEach<T> (method: string, count: number, build: (ids: readonly number[]) => { payload: unknown, transfer?: readonly Transferable[] }): Array<Promise<T>>
  /** Called once when the worker is gone for any reason but close(), with the error its calls were failed with. */
  onGone (listener: (error: GroundstreamError) => void): void
  /** Lets queued calls finish, releases the worker's models and waits for it to leave; idempotent. */
  close (): Promise<void>
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/** Starts a worker and resolves once it has loaded; an init failure rejects with the worker's coded error. */
export async function startWorker<Info = unknown> (url: URL, options: StartWorkerOptions): Promise<WorkerRpc<Info>> {
  const worker = new Worker(url, { workerData: options.workerData })
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
  const info = await new Promise<Info>((resolve, reject) => {
    const onMessage = (reply: ReplyMessage): void => {
      worker.off('error', onError)
      if (reply.type === 'ready') resolve(reply.info as Info)
      else if (reply.type === 'init-failed') reject(new GroundstreamError(reply.code, `${options.name} failed to load models: ${reply.message}`))
      else reject(new GroundstreamError('GS_ERR_INFERENCE', `${options.name} answered before it was ready`))
    }
    const onError = (error: Error): void => {
      worker.off('message', onMessage)
      reject(new GroundstreamError('GS_ERR_INFERENCE', `${options.name} failed to start: ${error.message}`, { cause: error }))
    }
    worker.once('message', onMessage)
    worker.once('error', onError)
  }).catch(async (error: unknown) => {
    // The worker leaves by itself after init-failed; terminate only one that does not.
    const timer = setTimeout(() => { void worker.terminate() }, options.closeTimeoutMs ?? 5_000)
    await exited
    clearTimeout(timer)
    throw error
  })

  const pending = new Map<number, Pending>()
  const goneListeners: Array<(error: GroundstreamError) => void> = []
  let nextId = 1
  let failure: GroundstreamError | null = null
  let closing: Promise<void> | null = null

  function failAll (error: GroundstreamError): void {
    if (failure !== null) return
    failure = error
    for (const { reject } of pending.values()) reject(error)
    pending.clear()
    if (closing === null) for (const listener of goneListeners) listener(error)
  }

  worker.on('message', (reply: ReplyMessage) => {
    if (reply.type !== 'result' && reply.type !== 'error') return
    const entry = pending.get(reply.id)
    if (entry === undefined) return
    pending.delete(reply.id)
    if (reply.type === 'result') entry.resolve(reply.value)
    else entry.reject(new GroundstreamError(reply.code, reply.message))
  })
  worker.on('error', (error) => { failAll(new GroundstreamError('GS_ERR_INFERENCE', `${options.name} crashed: ${error.message}`, { cause: error })) })
  worker.on('exit', (code) => { failAll(new GroundstreamError('GS_ERR_WORKER_CLOSED', `${options.name} exited with code ${code}`)) })

  function send (method: string, count: number, build: (ids: readonly number[]) => { payload: unknown, transfer?: readonly Transferable[] }): Array<Promise<unknown>> {
    if (failure !== null || closing !== null) {
      const error = failure ?? new GroundstreamError('GS_ERR_WORKER_CLOSED', `${options.name} is closing`)
      return Array.from({ length: count }, () => Promise.reject(error))
    }
    const ids = Array.from({ length: count }, () => nextId++)
    const answers = ids.map((id) => new Promise<unknown>((resolve, reject) => { pending.set(id, { resolve, reject }) }))
    const { payload, transfer } = build(ids)
    worker.postMessage({ type: 'call', ids, method, payload } satisfies CallMessage, transfer === undefined ? undefined : [...transfer])
    return answers
  }

  return Object.freeze({
    info,
    get pending () { return pending.size },
    call: async <T>(method: string, payload: unknown, transfer?: readonly Transferable[]) =>
      await (send(method, 1, () => ({ payload, ...(transfer === undefined ? {} : { transfer }) }))[0] as Promise<T>),
    callEach: <T>(method: string, count: number, build: (ids: readonly number[]) => { payload: unknown, transfer?: readonly Transferable[] }) =>
      send(method, count, build) as Array<Promise<T>>,
    onGone (listener: (error: GroundstreamError) => void): void { goneListeners.push(listener) },
    close (): Promise<void> {
      closing ??= (async () => {
        if (failure === null) worker.postMessage({ type: 'close' } satisfies CallMessage)
        // A worker that hangs while releasing its sessions is terminated all the same.
        const timer = setTimeout(() => { void worker.terminate() }, options.closeTimeoutMs ?? 5_000)
        await exited
        clearTimeout(timer)
      })()
      return closing
    }
  })
}

// ---------------------------------------------------------------- worker thread

export interface CallReply {
  /** The ids this call must answer, one answer each. */
  readonly ids: readonly number[]
  result (id: number, value: unknown, transfer?: readonly Transferable[]): void
  error (id: number, error: unknown): void
}

export interface WorkerService {
  info?: unknown
  /**
   * Answers one call. Ids left unanswered when it returns get its return
   * value (the usual single answer), or an error when it returns undefined;
   * when it throws, they get the error.
   */
  call (method: string, payload: unknown, reply: CallReply): Promise<unknown>
  close (): Promise<void>
}

export interface ServeWorkerOptions {
  /** Code for errors that are not GroundstreamErrors. */
  initErrorCode: ErrorCode
  callErrorCode: ErrorCode
}

/** Worker-thread side: loads the service from workerData, then answers calls one after another. */
export function serveWorker<Init> (load: (init: Init) => Promise<WorkerService>, options: ServeWorkerOptions): void {
  const port = parentPort
  if (port === null) throw new Error('serveWorker must run inside a worker thread')
  const codeOf = (error: unknown, fallback: ErrorCode): ErrorCode => isGroundstreamError(error) ? error.code : fallback
  const post = (reply: ReplyMessage, transfer?: readonly Transferable[]): void => { port.postMessage(reply, transfer === undefined ? undefined : [...transfer]) }

  load(workerData as Init).then((service) => {
    post({ type: 'ready', info: service.info ?? null })
    let queue = Promise.resolve()
    port.on('message', (message: CallMessage) => {
      queue = queue.then(async () => {
        if (message.type === 'close') {
          await service.close().catch(() => undefined)
          port.close()
          return
        }
        const answered = new Set<number>()
        const reply: CallReply = {
          ids: message.ids,
          result (id, value, transfer) {
            if (answered.has(id)) return
            answered.add(id)
            post({ type: 'result', id, value }, transfer)
          },
          error (id, error) {
            if (answered.has(id)) return
            answered.add(id)
            post({ type: 'error', id, code: codeOf(error, options.callErrorCode), message: errorMessage(error) })
          }
        }
        try {
          const value = await service.call(message.method, message.payload, reply)
          const unanswered = new GroundstreamError(options.callErrorCode, `no answer to ${message.method}`)
          for (const id of message.ids) {
            if (value === undefined) reply.error(id, unanswered)
            else reply.result(id, value)
          }
        } catch (error) {
          for (const id of message.ids) reply.error(id, error)
        }
      })
    })
  }, (error: unknown) => {
    post({ type: 'init-failed', code: codeOf(error, options.initErrorCode), message: errorMessage(error) })
    // Leave on our own once nothing is loading.
    port.close()
  })
}
