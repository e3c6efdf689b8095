#!/usr/bin/env node
// mcpmux conformance fixture: an MCP server exposing every tool, resource,
// prompt and utility that the `@modelcontextprotocol/conformance` server
// scenarios (spec revision 2025-11-25) call by name.
//
//   node fixture.mjs --stdio          newline-delimited JSON-RPC on stdin/stdout
//   node fixture.mjs --http PORT      streamable HTTP at http://127.0.0.1:PORT/mcp
//                                     (PORT 0 = pick a free port; the chosen URL is
//                                     printed to stderr as "listening on <url>")
//
// All diagnostics go to stderr; stdout carries protocol traffic only (stdio mode).
//
// The MCP protocol layer (initialize, ping, request/response correlation,
// cancellation, progress plumbing) is the official TypeScript SDK's `Server`.
// The streamable HTTP transport is implemented here rather than taken from the
// SDK so that its wire behaviour is explicit and under our control:
//   * Host/Origin validation (DNS-rebinding protection) -> 403
//   * stateful sessions (Mcp-Session-Id), 400 without / 404 for unknown session
//   * every POST carrying a request is answered with an SSE stream that starts
//     with a priming event (`id:` + `retry:` + empty `data:`) whenever the
//     session negotiated protocol >= 2025-11-25, regardless of the per-request
//     MCP-Protocol-Version header (the conformance raw requests send 2025-03-26)
//   * every SSE event carries an id; streams are replayable with Last-Event-ID
//   * `test_reconnection` closes its POST stream before answering; the answer is
//     delivered on a GET that resumes with Last-Event-ID
//   * standalone GET stream (one per session, 409 if a second one is opened)
//   * DELETE ends the session
// In stdio mode `test_reconnection` simply answers after a short delay: closing a
// stream has no stdio equivalent.

import http from 'node:http';
import zlib from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  JSONRPCMessageSchema,
  LATEST_PROTOCOL_VERSION,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  UnsubscribeRequestSchema
} from '@modelcontextprotocol/sdk/types.js';

const FIXTURE_NAME = 'mcpmux-conformance-fixture';
const FIXTURE_VERSION = '1.0.0';
/** `retry:` value (ms) announced in priming events. */
const SSE_RETRY_MS = 500;
/** Interval of SSE comment keep-alives on open streams. */
const SSE_KEEPALIVE_MS = 15000;
/** How long finished streams stay replayable. */
const FINISHED_STREAM_TTL_MS = 120000;

const log = (...args) => console.error(`[fixture ${new Date().toISOString()}]`, ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Media generated at start-up (no binary assets are checked in).
// ---------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A tiny solid-colour RGB PNG. */
function makePng(width, height, [r, g, b]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array(width).fill([r, g, b]).flat())]);
  const raw = Buffer.concat(Array(height).fill(row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0))
  ]);
}
/** A short 8 kHz, 8-bit mono PCM WAV square wave. */
function makeWav(samples = 400) {
  const data = Buffer.from(Array.from({ length: samples }, (_, i) => (Math.floor(i / 8) % 2 ? 0xa0 : 0x60)));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24); // sample rate
  h.writeUInt32LE(8000, 28); // byte rate
  h.writeUInt16LE(1, 32); // block align
  h.writeUInt16LE(8, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}
const PNG_B64 = makePng(2, 2, [0x1f, 0x77, 0xb4]).toString('base64');
const WAV_B64 = makeWav().toString('base64');

// ---------------------------------------------------------------------------
// Catalogue: tools, resources, prompts.
// ---------------------------------------------------------------------------

const NO_ARGS = { type: 'object', properties: {} };

const TOOLS = [
  { name: 'test_simple_text', description: 'Returns one text content block.', inputSchema: NO_ARGS },
  { name: 'test_image_content', description: 'Returns one PNG image content block.', inputSchema: NO_ARGS },
  { name: 'test_audio_content', description: 'Returns one WAV audio content block.', inputSchema: NO_ARGS },
  { name: 'test_embedded_resource', description: 'Returns an embedded text resource.', inputSchema: NO_ARGS },
  {
    name: 'test_multiple_content_types',
    description: 'Returns text, image and embedded resource content together.',
    inputSchema: NO_ARGS
  },
  {
    name: 'test_tool_with_logging',
    description: 'Emits three info-level log notifications while running.',
    inputSchema: NO_ARGS
  },
  {
    name: 'test_tool_with_progress',
    description: 'Emits progress notifications 0/100, 50/100, 100/100 when given a progress token.',
    inputSchema: NO_ARGS
  },
  { name: 'test_error_handling', description: 'Always fails with a tool-level error (isError).', inputSchema: NO_ARGS },
  {
    name: 'test_sampling',
    description: 'Asks the client for an LLM completion (sampling/createMessage).',
    inputSchema: {
      type: 'object',
      properties: { prompt: { type: 'string', description: 'Prompt forwarded to the client LLM' } },
      required: ['prompt']
    }
  },
  {
    name: 'test_elicitation',
    description: 'Asks the client for a username and email (elicitation/create).',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'Message shown to the user' } },
      required: ['message']
    }
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Elicitation whose form schema has a default for every primitive type (SEP-1034).',
    inputSchema: NO_ARGS
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Elicitation whose form schema uses all five enum shapes (SEP-1330).',
    inputSchema: NO_ARGS
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Declares an input schema using JSON Schema 2020-12 keywords (SEP-1613).',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: {
          type: 'object',
          properties: { street: { type: 'string' }, city: { type: 'string' } }
        }
      },
      properties: {
        name: { type: 'string' },
        address: { $ref: '#/$defs/address' }
      },
      additionalProperties: false
    }
  },
  {
    name: 'test_reconnection',
    description:
      'HTTP: closes its SSE response stream before answering; the result is delivered after the client resumes with Last-Event-ID (SEP-1699). stdio: answers after a short delay.',
    inputSchema: NO_ARGS
  }
];

const STATIC_RESOURCES = {
  'test://static-text': {
    meta: { name: 'static-text', title: 'Static text', description: 'A fixed plain-text resource.', mimeType: 'text/plain' },
    read: (uri) => ({ uri, mimeType: 'text/plain', text: 'Static text resource served by the mcpmux conformance fixture.' })
  },
  'test://static-binary': {
    meta: { name: 'static-binary', title: 'Static binary', description: 'A fixed PNG image resource.', mimeType: 'image/png' },
    read: (uri) => ({ uri, mimeType: 'image/png', blob: PNG_B64 })
  },
  'test://watched-resource': {
    meta: {
      name: 'watched-resource',
      title: 'Watched resource',
      description: 'A resource clients may subscribe to.',
      mimeType: 'text/plain'
    },
    read: (uri) => ({ uri, mimeType: 'text/plain', text: 'Watched resource content.' })
  }
};

const RESOURCE_TEMPLATES = [
  {
    uriTemplate: 'test://template/{id}/data',
    name: 'template-data',
    title: 'Templated data',
    description: 'JSON document for the given id.',
    mimeType: 'application/json'
  }
];
const TEMPLATE_RE = /^test:\/\/template\/([^/]+)\/data$/;

const PROMPTS = [
  { name: 'test_simple_prompt', description: 'A prompt without arguments.' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt that interpolates two arguments.',
    arguments: [
      { name: 'arg1', description: 'First argument', required: true },
      { name: 'arg2', description: 'Second argument', required: true }
    ]
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource.',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }]
  },
  { name: 'test_prompt_with_image', description: 'A prompt that contains an image.' }
];

const COMPLETIONS = {
  'ref/prompt:test_prompt_with_arguments:arg1': ['test-alpha', 'test-beta', 'paris', 'park', 'party'],
  'ref/prompt:test_prompt_with_arguments:arg2': ['test-gamma', 'world', 'wombat'],
  'ref/resource:test://template/{id}/data:id': ['1', '2', '3', '123']
};

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

// ---------------------------------------------------------------------------
// Server (one per stdio process / per HTTP session).
// ---------------------------------------------------------------------------

function text(t) {
  return { type: 'text', text: t };
}

function buildServer(mode) {
  const server = new Server(
    { name: FIXTURE_NAME, version: FIXTURE_VERSION },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: false },
        prompts: { listChanged: false },
        logging: {},
        completions: {}
      },
      instructions: 'Conformance fixture for mcpmux. Tool, resource and prompt names follow the conformance suite.'
    }
  );

  let minLogLevel = 0; // index into LOG_LEVELS; everything is sent until logging/setLevel
  const subscriptions = new Set();

  async function logTo(extra, level, data) {
    if (LOG_LEVELS.indexOf(level) < minLogLevel) return;
    await extra.sendNotification({ method: 'notifications/message', params: { level, logger: FIXTURE_NAME, data } });
  }

  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    const idx = LOG_LEVELS.indexOf(request.params.level);
    if (idx < 0) throw new McpError(ErrorCode.InvalidParams, `Unknown log level: ${request.params.level}`);
    minLogLevel = idx;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    switch (name) {
      case 'test_simple_text':
        return { content: [text('Simple text from the mcpmux conformance fixture.')] };

      case 'test_image_content':
        return { content: [{ type: 'image', data: PNG_B64, mimeType: 'image/png' }] };

      case 'test_audio_content':
        return { content: [{ type: 'audio', data: WAV_B64, mimeType: 'audio/wav' }] };

      case 'test_embedded_resource':
        return {
          content: [
            {
              type: 'resource',
              resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'Embedded resource text.' }
            }
          ]
        };

      case 'test_multiple_content_types':
        return {
          content: [
            text('Mixed content follows.'),
            { type: 'image', data: PNG_B64, mimeType: 'image/png' },
            {
              type: 'resource',
              resource: {
                uri: 'test://mixed-content-resource',
                mimeType: 'application/json',
                text: JSON.stringify({ kind: 'mixed', n: 3 })
              }
            }
          ]
        };

      case 'test_tool_with_logging':
        await logTo(extra, 'info', 'Tool execution started');
        await sleep(50);
        await logTo(extra, 'info', 'Tool processing data');
        await sleep(50);
        await logTo(extra, 'info', 'Tool execution completed');
        return { content: [text('Logged three messages.')] };

      case 'test_tool_with_progress': {
        const token = request.params._meta?.progressToken;
        for (const progress of [0, 50, 100]) {
          if (token !== undefined) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress, total: 100, message: `step ${progress}/100` }
            });
          }
          // ~50 ms between steps; a short pause after the last one keeps the final
          // notification from sharing a read with the response (SDK clients drop
          // progress that is processed after the response).
          await sleep(progress < 100 ? 50 : 20);
        }
        return { content: [text(`Progress reported${token === undefined ? ' (no progress token given)' : ''}.`)] };
      }

      case 'test_error_handling':
        return { isError: true, content: [text('test_error_handling always fails (intentional tool error).')] };

      case 'test_sampling': {
        if (!server.getClientCapabilities()?.sampling) {
          return { isError: true, content: [text('Client did not declare the sampling capability.')] };
        }
        const result = await extra.sendRequest(
          {
            method: 'sampling/createMessage',
            params: {
              messages: [{ role: 'user', content: text(String(args.prompt ?? '')) }],
              maxTokens: 100
            }
          },
          CreateMessageResultSchema
        );
        const reply = Array.isArray(result.content)
          ? result.content.map((c) => c.text ?? `[${c.type}]`).join(' ')
          : result.content.type === 'text'
            ? result.content.text
            : `[${result.content.type}]`;
        return { content: [text(`LLM response: ${reply}`)] };
      }

      case 'test_elicitation':
        return elicit(extra, String(args.message ?? 'Please provide your details'), {
          type: 'object',
          properties: {
            username: { type: 'string', description: 'Your user name' },
            email: { type: 'string', description: 'Your email address' }
          },
          required: ['username', 'email']
        }, 'User response');

      case 'test_elicitation_sep1034_defaults':
        return elicit(extra, 'Review the pre-filled values', {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'Full name', default: 'John Doe' },
            age: { type: 'integer', description: 'Age in years', default: 30 },
            score: { type: 'number', description: 'Score', default: 95.5 },
            status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', description: 'Verified?', default: true }
          }
        });

      case 'test_elicitation_sep1330_enums':
        return elicit(extra, 'Pick some options', {
          type: 'object',
          properties: {
            untitledSingle: { type: 'string', description: 'Untitled single select', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              description: 'Titled single select',
              oneOf: [
                { const: 'value1', title: 'Value one' },
                { const: 'value2', title: 'Value two' },
                { const: 'value3', title: 'Value three' }
              ]
            },
            legacyEnum: {
              type: 'string',
              description: 'Legacy titled enum',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Opt one', 'Opt two', 'Opt three']
            },
            untitledMulti: {
              type: 'array',
              description: 'Untitled multi select',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] }
            },
            titledMulti: {
              type: 'array',
              description: 'Titled multi select',
              items: {
                anyOf: [
                  { const: 'value1', title: 'Choice one' },
                  { const: 'value2', title: 'Choice two' },
                  { const: 'value3', title: 'Choice three' }
                ]
              }
            }
          }
        });

      case 'json_schema_2020_12_tool':
        return { content: [text(`Received: ${JSON.stringify(args)}`)] };

      case 'test_reconnection': {
        if (mode === 'http' && typeof extra.closeSSEStream === 'function') {
          extra.closeSSEStream();
          await sleep(300);
          return { content: [text('Answer delivered after the SSE stream was closed and resumed.')] };
        }
        await sleep(100);
        return { content: [text('Answer delivered (stdio mode: no stream to close).')] };
      }

      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
  });

  async function elicit(extra, message, requestedSchema, label = 'Elicitation completed') {
    if (!server.getClientCapabilities()?.elicitation) {
      return { isError: true, content: [text('Client did not declare the elicitation capability.')] };
    }
    const result = await extra.sendRequest(
      { method: 'elicitation/create', params: { message, requestedSchema } },
      ElicitResultSchema
    );
    return {
      content: [text(`${label}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`)]
    };
  }

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: Object.entries(STATIC_RESOURCES).map(([uri, r]) => ({ uri, ...r.meta }))
  }));

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: RESOURCE_TEMPLATES }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    if (STATIC_RESOURCES[uri]) return { contents: [STATIC_RESOURCES[uri].read(uri)] };
    const m = TEMPLATE_RE.exec(uri);
    if (m) {
      const id = decodeURIComponent(m[1]);
      return {
        contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, source: 'template', data: `data for ${id}` }) }]
      };
    }
    throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: PROMPTS }));

  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const prompt = PROMPTS.find((p) => p.name === name);
    if (!prompt) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    for (const a of prompt.arguments ?? []) {
      if (a.required && args[a.name] === undefined) {
        throw new McpError(ErrorCode.InvalidParams, `Missing required argument '${a.name}' for prompt ${name}`);
      }
    }
    switch (name) {
      case 'test_simple_prompt':
        return { messages: [{ role: 'user', content: text('A simple prompt from the mcpmux fixture.') }] };
      case 'test_prompt_with_arguments':
        return {
          description: prompt.description,
          messages: [{ role: 'user', content: text(`First is ${args.arg1}; second is ${args.arg2}.`) }]
        };
      case 'test_prompt_with_embedded_resource':
        return {
          messages: [
            {
              role: 'user',
              content: {
                type: 'resource',
                resource: { uri: args.resourceUri, mimeType: 'text/plain', text: 'Text of the embedded resource.' }
              }
            },
            { role: 'user', content: text('Summarise the resource above.') }
          ]
        };
      case 'test_prompt_with_image':
        return {
          messages: [
            { role: 'user', content: { type: 'image', data: PNG_B64, mimeType: 'image/png' } },
            { role: 'user', content: text('Describe the image above.') }
          ]
        };
    }
    throw new McpError(ErrorCode.InternalError, `Unhandled prompt ${name}`);
  });

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    const key = `${ref.type}:${ref.type === 'ref/prompt' ? ref.name : ref.uri}:${argument.name}`;
    const values = (COMPLETIONS[key] ?? []).filter((v) => v.startsWith(argument.value ?? ''));
    return { completion: { values: values.slice(0, 100), total: values.length, hasMore: false } };
  });

  server.onerror = (err) => log('server error:', err?.message ?? err);
  return server;
}

// ---------------------------------------------------------------------------
// stdio mode
// ---------------------------------------------------------------------------

async function runStdio() {
  const server = buildServer('stdio');
  const transport = new StdioServerTransport();
  transport.onclose = () => process.exit(0);
  process.stdin.on('end', () => process.exit(0));
  await server.connect(transport);
  log('stdio mode ready');
}

// ---------------------------------------------------------------------------
// Streamable HTTP mode
// ---------------------------------------------------------------------------

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Hostname part of a Host header value ("[::1]:8080" -> "[::1]"). */
function hostnameOf(hostHeader) {
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function originAllowed(origin) {
  try {
    return LOCAL_HOSTNAMES.has(new URL(origin).hostname.toLowerCase());
  } catch {
    return false;
  }
}

function sendJsonError(res, status, code, message, extraHeaders = {}) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
  res.writeHead(status, { 'Content-Type': 'application/json', ...extraHeaders });
  res.end(body);
}

function accepts(req, type) {
  return (req.headers.accept ?? '').split(',').some((part) => part.trim().split(';')[0].trim() === type);
}

/**
 * One SSE stream's history. POST streams are keyed by a fresh id; the standalone
 * GET stream is "g". Every message is stored with an event id so a client can
 * resume with Last-Event-ID after the HTTP response ended.
 */
class SseStream {
  constructor(id) {
    this.id = id;
    this.events = []; // { id, data }  data '' = priming event
    this.pendingRequests = new Set(); // request ids still awaiting a response on this stream
    this.res = null; // attached HTTP response, if any
    this.done = false; // all responses have been produced
    this.keepAlive = null;
    this.lastDelivered = -1; // index of the last event written to any connection (standalone stream)
  }
}

class HttpSessionTransport {
  constructor(sessionId, protocolVersion) {
    this.sessionId = sessionId;
    this.protocolVersion = protocolVersion;
    this.streams = new Map();
    this.requestStream = new Map(); // JSON-RPC request id -> stream id
    this.eventSeq = 0;
    this.streamSeq = 0;
    this.closed = false;
    this.onmessage = undefined;
    this.onclose = undefined;
    this.onerror = undefined;
  }

  async start() {}

  get priming() {
    return this.protocolVersion >= '2025-11-25';
  }

  newStream(id = `s${++this.streamSeq}`) {
    const s = new SseStream(id);
    this.streams.set(id, s);
    return s;
  }

  record(stream, data) {
    const ev = { id: `${stream.id}.${++this.eventSeq}`, data };
    stream.events.push(ev);
    return ev;
  }

  writeEvent(stream, ev, withRetry = false) {
    if (!stream.res) return;
    let frame = `id: ${ev.id}\n`;
    if (withRetry) frame += `retry: ${SSE_RETRY_MS}\n`;
    frame += `data: ${ev.data}\n\n`;
    stream.res.write(frame);
    stream.lastDelivered = stream.events.indexOf(ev);
  }

  attach(stream, res) {
    if (stream.res && stream.res !== res) this.detach(stream, true);
    stream.res = res;
    stream.keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
    res.on('close', () => {
      if (stream.res === res) this.detach(stream, false);
    });
  }

  detach(stream, end) {
    clearInterval(stream.keepAlive);
    stream.keepAlive = null;
    const res = stream.res;
    stream.res = null;
    if (end && res && !res.writableEnded) res.end();
  }

  finish(stream) {
    stream.done = true;
    this.detach(stream, true);
    setTimeout(() => {
      if (this.streams.get(stream.id) === stream && !stream.res) this.streams.delete(stream.id);
    }, FINISHED_STREAM_TTL_MS).unref();
  }

  startSse(res, extraHeaders = {}) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'Mcp-Session-Id': this.sessionId,
      ...extraHeaders
    });
    res.flushHeaders();
  }

  /** POST carrying one JSON-RPC request: answer on a new SSE stream. */
  handleRequest(message, req, res) {
    const stream = this.newStream();
    stream.pendingRequests.add(message.id);
    this.requestStream.set(message.id, stream.id);
    this.startSse(res);
    this.attach(stream, res);
    if (this.priming) this.writeEvent(stream, this.record(stream, ''), true);
    const closeSSEStream = () => {
      log(`session ${this.sessionId}: closing SSE stream ${stream.id} before answering request ${message.id}`);
      this.detach(stream, true);
    };
    this.onmessage?.(message, {
      requestInfo: { headers: req.headers },
      closeSSEStream: this.priming ? closeSSEStream : undefined
    });
  }

  /** GET: resume a stream (Last-Event-ID) or open the standalone stream. */
  handleGet(req, res) {
    const lastEventId = req.headers['last-event-id'];
    if (lastEventId !== undefined) {
      const streamId = String(lastEventId).split('.')[0];
      const stream = this.streams.get(streamId);
      const idx = stream ? stream.events.findIndex((e) => e.id === lastEventId) : -1;
      if (!stream || idx < 0) {
        return sendJsonError(res, 400, -32000, `Bad Request: unknown Last-Event-ID ${lastEventId}`);
      }
      this.startSse(res);
      this.attach(stream, res);
      const replay = stream.events.slice(idx + 1);
      for (const ev of replay) this.writeEvent(stream, ev);
      log(`session ${this.sessionId}: resumed stream ${streamId} after ${lastEventId}, replayed ${replay.length}`);
      // A finished request stream is closed once its final response has been
      // (re)delivered; if nothing was left to deliver it stays open and idle so
      // that a client does not loop on reconnects.
      if (stream.done && stream.id !== 'g' && replay.some((e) => e.data !== '')) this.detach(stream, true);
      return;
    }
    let stream = this.streams.get('g');
    if (stream?.res) {
      return sendJsonError(res, 409, -32000, 'Conflict: only one standalone SSE stream is allowed per session');
    }
    stream ??= this.newStream('g');
    this.startSse(res);
    this.attach(stream, res);
    const undelivered = stream.events.slice(stream.lastDelivered + 1).filter((e) => e.data !== '');
    if (this.priming) this.writeEvent(stream, this.record(stream, ''), true);
    for (const ev of undelivered) this.writeEvent(stream, ev);
  }

  async send(message, options = {}) {
    if (this.closed) return;
    const isResponse = 'id' in message && ('result' in message || 'error' in message) && !('method' in message);
    const key = isResponse ? message.id : options.relatedRequestId;
    const streamId = key !== undefined ? this.requestStream.get(key) : 'g';
    let stream = streamId ? this.streams.get(streamId) : undefined;
    if (!stream && !isResponse && key === undefined) stream = this.newStream('g');
    if (!stream) {
      log(`session ${this.sessionId}: dropping message for unknown request ${key}`);
      return;
    }
    const ev = this.record(stream, JSON.stringify(message));
    this.writeEvent(stream, ev);
    if (isResponse) {
      stream.pendingRequests.delete(message.id);
      this.requestStream.delete(message.id);
      if (stream.pendingRequests.size === 0) this.finish(stream);
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) this.detach(s, true);
    this.streams.clear();
    this.onclose?.();
  }
}

async function readBody(req, limit = 4 * 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function runHttp(port) {
  /** @type {Map<string, {transport: HttpSessionTransport, server: Server}>} */
  const sessions = new Map();

  function lookupSession(req, res) {
    const id = req.headers['mcp-session-id'];
    if (!id) {
      sendJsonError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return null;
    }
    const s = sessions.get(String(id));
    if (!s) {
      sendJsonError(res, 404, -32001, 'Session not found');
      return null;
    }
    return s;
  }

  function protocolHeaderOk(req, res) {
    const v = req.headers['mcp-protocol-version'];
    if (v !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(String(v))) {
      sendJsonError(res, 400, -32000, `Bad Request: unsupported MCP-Protocol-Version ${v}`);
      return false;
    }
    return true;
  }

  async function handlePost(req, res) {
    if (!(accepts(req, 'application/json') && accepts(req, 'text/event-stream'))) {
      return sendJsonError(res, 406, -32000, 'Not Acceptable: Accept must list application/json and text/event-stream');
    }
    const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (ctype !== 'application/json') {
      return sendJsonError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    let parsed;
    try {
      parsed = JSON.parse(await readBody(req));
    } catch (err) {
      if (err.status === 413) return sendJsonError(res, 413, -32000, 'Payload too large');
      return sendJsonError(res, 400, -32700, 'Parse error');
    }
    if (Array.isArray(parsed)) {
      return sendJsonError(res, 400, -32600, 'Invalid Request: JSON-RPC batches are not supported');
    }
    const check = JSONRPCMessageSchema.safeParse(parsed);
    if (!check.success) return sendJsonError(res, 400, -32600, 'Invalid Request: not a JSON-RPC 2.0 message');
    const message = parsed;
    const isRequest = 'method' in message && 'id' in message;

    if (isRequest && message.method === 'initialize') {
      const requested = message.params?.protocolVersion;
      const negotiated = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
      const sessionId = randomUUID();
      const transport = new HttpSessionTransport(sessionId, negotiated);
      const server = buildServer('http');
      sessions.set(sessionId, { transport, server });
      transport.onclose = () => sessions.delete(sessionId);
      await server.connect(transport);
      log(`session ${sessionId}: initialize (protocol ${negotiated})`);
      return transport.handleRequest(message, req, res);
    }

    const session = lookupSession(req, res);
    if (!session || !protocolHeaderOk(req, res)) return;
    if (!isRequest) {
      // notification or response to a server-initiated request
      res.writeHead(202, { 'Mcp-Session-Id': session.transport.sessionId });
      res.end();
      session.transport.onmessage?.(message, { requestInfo: { headers: req.headers } });
      return;
    }
    session.transport.handleRequest(message, req, res);
  }

  function handleGet(req, res) {
    if (!accepts(req, 'text/event-stream')) {
      return sendJsonError(res, 406, -32000, 'Not Acceptable: Accept must list text/event-stream');
    }
    const session = lookupSession(req, res);
    if (!session || !protocolHeaderOk(req, res)) return;
    session.transport.handleGet(req, res);
  }

  async function handleDelete(req, res) {
    const session = lookupSession(req, res);
    if (!session) return;
    sessions.delete(session.transport.sessionId);
    await session.server.close();
    log(`session ${session.transport.sessionId}: deleted by client`);
    res.writeHead(200);
    res.end();
  }

  const httpServer = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      // DNS-rebinding protection: only loopback Host (and Origin, when present).
      const hostname = hostnameOf(req.headers.host ?? '');
      if (!hostname || !LOCAL_HOSTNAMES.has(hostname)) {
        return sendJsonError(res, 403, -32000, `Forbidden: Host ${req.headers.host ?? '(none)'} is not allowed`);
      }
      if (req.headers.origin !== undefined && !originAllowed(req.headers.origin)) {
        return sendJsonError(res, 403, -32000, `Forbidden: Origin ${req.headers.origin} is not allowed`);
      }
      if (url.pathname !== '/mcp') return sendJsonError(res, 404, -32000, 'Not found: the MCP endpoint is /mcp');
      switch (req.method) {
        case 'POST':
          return await handlePost(req, res);
        case 'GET':
          return handleGet(req, res);
        case 'DELETE':
          return await handleDelete(req, res);
        default:
          return sendJsonError(res, 405, -32000, 'Method Not Allowed', { Allow: 'GET, POST, DELETE' });
      }
    } catch (err) {
      log('http handler error:', err);
      if (!res.headersSent) sendJsonError(res, 500, -32603, 'Internal error');
      else res.end();
    }
  });
  httpServer.requestTimeout = 0; // SSE responses are long-lived
  httpServer.keepAliveTimeout = 60000;

  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', resolve);
  });
  const actual = httpServer.address().port;
  log(`listening on http://127.0.0.1:${actual}/mcp`);

  const shutdown = async () => {
    for (const { server } of sessions.values()) await server.close().catch(() => {});
    httpServer.close();
    httpServer.closeAllConnections?.();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

// ---------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv[0] === '--stdio') {
  await runStdio();
} else if (argv[0] === '--http' && argv[1] !== undefined && /^\d+$/.test(argv[1])) {
  await runHttp(Number(argv[1]));
} else {
  console.error('usage: node fixture.mjs --stdio | --http PORT');
  process.exit(2);
}
