/** Clients of the Vigil API, usable from the renderer (browser or Electron) and the CLI. */
export { createHttpClient, type FetchLike, type HttpClientOptions } from './http.js';
export {
  BATCHED_EVENT_TYPES,
  RESYNC_MESSAGE,
  connectStream,
  createStreamReader,
  streamUrl,
  unbatch,
  type ConnectStreamOptions,
  type ReaderVerdict,
  type StreamHandlers,
  type StreamReader,
  type StreamStatus,
  type WebSocketConstructor,
  type WebSocketLike,
} from './stream.js';
export {
  IPC_EVENT_CHANNEL,
  IPC_PREFIX,
  IPC_SUBSCRIBE_CHANNEL,
  IPC_UNSUBSCRIBE_CHANNEL,
  commandChannel,
  connectBridgeStream,
  unwrapIpcResult,
  type IpcResult,
  type VigilBridge,
} from './bridge.js';
export {
  badRequestFromZod,
  errorFromEnvelope,
  isCommandName,
  parseCommandInput,
  toVigilError,
} from './validate.js';
