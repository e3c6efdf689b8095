#!/usr/bin/env python3
"""Prove that every server-to-client flow of MCP reaches the right client and never another one.

Usage: flows.py URL [--prefix P] [--steps a,b,c] [--timeout SECONDS]

Opens TWO client sessions, A and B, at once to the same streamable-HTTP URL with the official
Python SDK (`mcp`), both declaring sampling, elicitation and roots (each with its own recording
callback and its own answers), and drives the tools of `@modelcontextprotocol/server-everything`
(see tests/everything/). Through the mcpmux gateway those tools are named `{P}__{name}`
(default P = "ev"); `--prefix ""` uses the bare names (a direct run against server-everything).

Every notification and every server-to-client request a session receives is recorded, in
arrival order, by that session's recorder. After each step the script asserts that the flow
reached the client that started it and that the other client got nothing of it. All waits are
bounded by --timeout (default 20 s); requests time out after the same time.

Steps (default: all, in this order):
  progress      A calls trigger-long-running-operation with a progress callback: A gets >= 1
                notifications/progress for its token, B none. Then A and B call it concurrently
                with the SAME progressToken (set in _meta; the SDK's progress_callback always uses
                the request id as the token) and different step counts: each gets only
                notifications whose `total` is its own step count.
  cancellation  A and B call the long-running tool concurrently under the SAME JSON-RPC request
                id (a string id, sent through the dispatcher's `request_id` option). After A's
                first progress A's call is cancelled (task cancellation: the SDK sends
                notifications/cancelled). A gets no response for that id (checked on the SDK's
                "late response" path), echo calls by A and B succeed at once, and B's call
                completes normally with only its own progress.
  sampling      A calls trigger-sampling-request: A's sampling callback runs once with A's prompt
                and the tool result holds A's sampled text; B's callback is not invoked. Then A
                and B call it concurrently: each callback sees only its own prompt.
  elicitation   The same with trigger-elicitation-request (form mode; the callback accepts with
                content {name, check, integer}; the result lists "- Name: <name>").
  roots         get-roots-list by A shows A's root and not B's, and vice versa. A then changes
                its roots and sends notifications/roots/list_changed: the server asks A (not B)
                for roots/list again and get-roots-list by A then shows the new root.
  logging       A sets logging/setLevel debug and calls toggle-simulated-logging: A receives
                simulated log messages (one at once, then one every 5 s); B, which set no level,
                receives none of them. A toggles the simulation off again.
  subscriptions A subscribes to demo://resource/dynamic/text/<random> and calls
                toggle-subscriber-updates: A receives notifications/resources/updated for that
                URI (at once, then every 5 s); B, not subscribed, receives none and no log naming
                the URI. A unsubscribes and toggles updates off.
  list_changed  A calls gzip-file-as-resource (a data: URI), which registers a session resource:
                every session whose resources/list shows that resource must receive
                notifications/resources/list_changed, and a session that cannot see it must not.
                server-everything has no trigger for tools/prompts list_changed after
                initialization (it sends tools/list_changed once, while initializing, when it
                registers the capability-dependent tools); whether each session saw that one is
                reported in "details" but not asserted.

Prints one JSON object on stdout: {"<step>": "ok", ..., "details": {...}} and exits 0; on the
first failing assertion the failing step's value is "FAIL: <message>", the message also goes to
stderr, and the exit status is 1. Exit 3: the `mcp` package is not importable; 64: usage.
"""

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import re
import secrets
import sys
import traceback
import warnings
from dataclasses import dataclass, field

try:
    from mcp import types
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPDeprecationWarning
    from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
    from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher
except ImportError as exc:  # pragma: no cover - reported by the caller
    print(f"cannot import the MCP Python SDK: {exc}; run .ci/run or `pip install mcp`", file=sys.stderr)
    sys.exit(3)

# logging/setLevel, resources/subscribe and roots are deprecated for 2026-07-28 in the SDK, but
# they are exactly the 2025-11-25 flows under test.
warnings.simplefilter("ignore", MCPDeprecationWarning)

ALL_STEPS = [
    "progress",
    "cancellation",
    "sampling",
    "elicitation",
    "roots",
    "logging",
    "subscriptions",
    "list_changed",
]

# Tools each step calls (bare server-everything names) and the capability they need.
STEP_TOOLS = {
    "progress": ["trigger-long-running-operation"],
    "cancellation": ["trigger-long-running-operation", "echo"],
    "sampling": ["trigger-sampling-request"],  # only listed to clients declaring `sampling`
    "elicitation": ["trigger-elicitation-request"],  # only listed to clients declaring `elicitation`
    "roots": ["get-roots-list"],  # only listed to clients declaring `roots`
    "logging": ["toggle-simulated-logging"],
    "subscriptions": ["toggle-subscriber-updates"],
    "list_changed": ["gzip-file-as-resource"],
}

# server-everything's simulated log lines ("Debug-level message", ..., "Alert level-message").
SIMULATED_LOG = re.compile(r"(Debug|Info|Notice|Warning|Error|Critical|Alert|Emergency)[- ]level[- ]message")
LATE_RESPONSE_PREFIX = "dropping response for unknown/late request id"
MAX_PAGES = 1000


class FlowError(Exception):
    """A failed assertion; the message says what was expected and what was seen."""


def check(condition, message):
    if not condition:
        raise FlowError(message)


@dataclass
class Event:
    kind: str  # progress | log | resource_updated | list_changed | sampling | elicitation | list_roots | other
    data: dict = field(default_factory=dict)

    def brief(self):
        return f"{self.kind}{json.dumps(self.data, default=str)[:200]}"


class Recorder:
    """Everything one session receives from the server, in arrival order, with awaitable waits."""

    def __init__(self, label):
        self.label = label
        self.events = []
        self._waiters = set()

    def add(self, kind, **data):
        self.events.append(Event(kind, data))
        for waiter in self._waiters:
            waiter.set()

    def mark(self):
        return len(self.events)

    def since(self, mark, kind=None, pred=None):
        return [
            e for e in self.events[mark:] if (kind is None or e.kind == kind) and (pred is None or pred(e))
        ]

    def describe(self, mark):
        seen = self.events[mark:]
        if not seen:
            return "nothing"
        shown = "; ".join(e.brief() for e in seen[-8:])
        return f"{len(seen)} event(s), last: {shown}"

    async def wait_for(self, mark, kind, pred, timeout, what, count=1):
        """Wait until at least `count` events of `kind` matching `pred` arrived after `mark`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            hits = self.since(mark, kind, pred)
            if len(hits) >= count:
                return hits
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise FlowError(
                    f"client {self.label}: no {what} within {timeout:g}s "
                    f"(got {len(hits)} of {count}); received since the step began: {self.describe(mark)}"
                )
            waiter = asyncio.Event()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter.wait(), remaining)
            except asyncio.TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)


class LateResponses(logging.Handler):
    """Collects the request ids of responses the SDK dropped because nobody waited for them."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.ids = []

    def emit(self, record):
        if isinstance(record.msg, str) and record.msg.startswith(LATE_RESPONSE_PREFIX) and record.args:
            self.ids.append(record.args[0])


def texts_of(result):
    return "\n".join(b.text for b in result.content if isinstance(b, types.TextContent))


class Client:
    """One MCP session with recording callbacks and per-client answers."""

    def __init__(self, label, nonce, timeout):
        self.label = label
        self.nonce = nonce
        self.timeout = timeout
        self.rec = Recorder(label)
        self.roots = [types.Root(uri=f"file:///flows/{nonce}/root-{label}", name=f"root-{label}")]
        self.sample_reply = f"sampled-by-{label}-{nonce}"
        self.elicit_name = f"name-{label}-{nonce}"
        self.session = None
        self.dispatcher = None

    # --- callbacks: record, then answer with this client's own data -------------------------

    async def on_sampling(self, context, params):
        prompt = "\n".join(
            m.content.text for m in params.messages if isinstance(m.content, types.TextContent)
        )
        self.rec.add("sampling", prompt=prompt)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=self.sample_reply),
            model=f"flows-model-{self.label}",
            stop_reason="endTurn",
        )

    async def on_elicitation(self, context, params):
        self.rec.add("elicitation", message=params.message, mode=getattr(params, "mode", None))
        return types.ElicitResult(action="accept", content={"name": self.elicit_name, "check": True, "integer": 7})

    async def on_list_roots(self, context):
        self.rec.add("list_roots", roots=[str(r.uri) for r in self.roots])
        return types.ListRootsResult(roots=list(self.roots))

    async def on_log(self, params):
        self.rec.add("log", level=params.level, logger=params.logger, data=params.data)

    async def on_message(self, message):
        if isinstance(message, Exception):
            self.rec.add("other", exception=repr(message))
            return
        message = getattr(message, "root", message)
        method = getattr(message, "method", type(message).__name__)
        params = getattr(message, "params", None)
        if isinstance(message, types.ProgressNotification):
            self.rec.add(
                "progress",
                token=params.progress_token,
                progress=params.progress,
                total=params.total,
            )
        elif isinstance(message, types.LoggingMessageNotification):
            pass  # recorded by on_log (logging_callback)
        elif isinstance(message, types.ResourceUpdatedNotification):
            self.rec.add("resource_updated", uri=str(params.uri))
        elif isinstance(message, types.ResourceListChangedNotification):
            self.rec.add("list_changed", what="resources")
        elif isinstance(message, types.ToolListChangedNotification):
            self.rec.add("list_changed", what="tools")
        elif isinstance(message, types.PromptListChangedNotification):
            self.rec.add("list_changed", what="prompts")
        else:
            self.rec.add("other", method=method)

    # --- session -------------------------------------------------------------------------------

    async def open(self, stack, url):
        read_stream, write_stream = await stack.enter_async_context(streamable_http_client(url))
        # Own the dispatcher so a call can be sent under a chosen request id (CallOptions.request_id).
        self.dispatcher = JSONRPCDispatcher(read_stream, write_stream)
        self.session = await stack.enter_async_context(
            ClientSession(
                read_timeout_seconds=self.timeout,
                sampling_callback=self.on_sampling,
                elicitation_callback=self.on_elicitation,
                list_roots_callback=self.on_list_roots,
                logging_callback=self.on_log,
                message_handler=self.on_message,
                client_info=types.Implementation(name=f"flows-{self.label}", version="1"),
                dispatcher=self.dispatcher,
            )
        )

    async def call(self, name, arguments=None, **kwargs):
        result = await self.session.call_tool(name, arguments or {}, **kwargs)
        check(not result.is_error, f"client {self.label}: tools/call {name} returned isError: {texts_of(result)!r}")
        return result

    async def call_with_id(self, request_id, name, arguments, on_progress):
        """tools/call under a caller-chosen JSON-RPC request id (which is also the progress token)."""
        opts = {
            "request_id": request_id,
            "on_progress": on_progress,
            "timeout": self.timeout,
            "headers": {MCP_PROTOCOL_VERSION_HEADER: self.session.protocol_version},
        }
        raw = await self.dispatcher.send_raw_request("tools/call", {"name": name, "arguments": arguments}, opts)
        result = types.CallToolResult.model_validate(raw)
        check(not result.is_error, f"client {self.label}: tools/call {name} returned isError: {texts_of(result)!r}")
        return result

    async def tool_names(self):
        names, cursor = [], None
        for _ in range(MAX_PAGES):
            params = types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None
            result = await self.session.list_tools(params=params)
            names.extend(t.name for t in result.tools)
            cursor = result.next_cursor
            if cursor is None:
                return names
        raise FlowError(f"client {self.label}: tools/list did not end after {MAX_PAGES} pages")

    async def resources(self):
        found, cursor = [], None
        for _ in range(MAX_PAGES):
            params = types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None
            result = await self.session.list_resources(params=params)
            found.extend(result.resources)
            cursor = result.next_cursor
            if cursor is None:
                return found
        raise FlowError(f"client {self.label}: resources/list did not end after {MAX_PAGES} pages")


class Flows:
    def __init__(self, a, b, prefix, timeout, late):
        self.a, self.b = a, b
        self.prefix = prefix
        self.timeout = timeout
        self.late = late
        self.nonce = a.nonce
        self.details = {}

    def tool(self, name):
        return f"{self.prefix}__{name}" if self.prefix else name

    # --- setup -------------------------------------------------------------------------------

    async def ensure_tools(self, client, needed, init_mark):
        """Wait (bounded) until `needed` are listed: capability-dependent tools may appear late."""
        wanted = {self.tool(n) for n in needed}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        seen_changes = 0
        while True:
            names = await client.tool_names()
            missing = sorted(wanted - set(names))
            if not missing:
                return names
            if loop.time() >= deadline:
                raise FlowError(
                    f"client {client.label}: tools {missing} are not listed (did the server/gateway see the "
                    f"client's sampling/elicitation/roots capabilities? is --prefix right?); listed: {sorted(names)}"
                )
            # Re-list on the next tools/list_changed (or at the deadline).
            try:
                await client.rec.wait_for(
                    init_mark,
                    "list_changed",
                    lambda e: e.data["what"] == "tools",
                    max(0.0, deadline - loop.time()),
                    "tools/list_changed",
                    count=seen_changes + 1,
                )
                seen_changes += 1
            except FlowError:
                pass

    async def setup(self, steps, init_marks):
        needed = sorted({t for s in steps for t in STEP_TOOLS[s]})
        for client in (self.a, self.b):
            names = await self.ensure_tools(client, needed, init_marks[client.label])
            self.details.setdefault("tools_listed", {})[client.label] = len(names)
        # server-everything asks a roots-capable client for roots/list ~350 ms after initialization.
        # Let that settle before the steps so it cannot be mistaken for a flow; not asserted.
        initial = {}
        for client in (self.a, self.b):
            try:
                await client.rec.wait_for(0, "list_roots", None, min(self.timeout, 5.0), "initial roots/list")
                initial[client.label] = True
            except FlowError:
                initial[client.label] = False
        self.details["initial_roots_request"] = initial
        self.details["init_tools_list_changed"] = {
            c.label: bool(c.rec.since(0, "list_changed", lambda e: e.data["what"] == "tools")) for c in (self.a, self.b)
        }

    # --- helpers -----------------------------------------------------------------------------

    def none_for(self, client, mark, kind, what, pred=None):
        got = client.rec.since(mark, kind, pred)
        check(
            not got,
            f"client {client.label} received {what} that belongs to the other client: "
            + "; ".join(e.brief() for e in got[:5]),
        )

    async def barrier(self, *clients):
        """One round trip per client, so notifications already sent are processed before checks."""
        await asyncio.gather(*(c.session.send_ping() for c in clients))
        await asyncio.sleep(0)  # let spawned notification handlers run (not a synchronisation wait)

    # --- steps -------------------------------------------------------------------------------

    async def step_progress(self):
        a, b = self.a, self.b
        long_op = self.tool("trigger-long-running-operation")

        # 1. A alone, token chosen by the SDK (the request id).
        ma, mb = a.rec.mark(), b.rec.mark()
        via_callback = []

        async def on_progress(progress, total, message):
            via_callback.append((progress, total))

        result = await a.call(long_op, {"duration": 1.5, "steps": 3}, progress_callback=on_progress)
        check("Steps: 3" in texts_of(result), f"A: unexpected long-running result {texts_of(result)!r}")
        await a.rec.wait_for(ma, "progress", None, self.timeout, "notifications/progress")
        await self.barrier(a, b)
        check(via_callback, "A: the progress callback was never invoked")
        check(all(t == 3 for _, t in via_callback), f"A: progress with a foreign total: {via_callback}")
        tokens = {e.data["token"] for e in a.rec.since(ma, "progress")}
        check(len(tokens) == 1, f"A: progress for several tokens {tokens} during one call")
        self.none_for(b, mb, "progress", "notifications/progress")

        # 2. A and B at once with the SAME progress token and different step counts.
        token = f"flows-{self.nonce}-progress"
        ma, mb = a.rec.mark(), b.rec.mark()
        ra, rb = await asyncio.gather(
            a.call(long_op, {"duration": 1.5, "steps": 3}, meta={"progressToken": token}),
            b.call(long_op, {"duration": 2, "steps": 4}, meta={"progressToken": token}),
        )
        check("Steps: 3" in texts_of(ra), f"A: unexpected result {texts_of(ra)!r}")
        check("Steps: 4" in texts_of(rb), f"B: unexpected result {texts_of(rb)!r}")
        mine = lambda e: e.data["token"] == token  # noqa: E731
        await a.rec.wait_for(ma, "progress", mine, self.timeout, f"progress for shared token {token!r}")
        await b.rec.wait_for(mb, "progress", mine, self.timeout, f"progress for shared token {token!r}")
        await self.barrier(a, b)
        pa = [(e.data["progress"], e.data["total"]) for e in a.rec.since(ma, "progress")]
        pb = [(e.data["progress"], e.data["total"]) for e in b.rec.since(mb, "progress")]
        check(all(t == 3 for _, t in pa), f"A (steps=3) got progress of B's call (total 4): {pa}")
        check(all(t == 4 for _, t in pb), f"B (steps=4) got progress of A's call (total 3): {pb}")
        self.details["progress"] = {
            "A_callback": len(via_callback),
            "shared_token_A": len(pa),
            "shared_token_B": len(pb),
        }

    async def step_cancellation(self):
        a, b = self.a, self.b
        long_op = self.tool("trigger-long-running-operation")
        rid = f"flows-{self.nonce}-cancel"  # the same request id (and progress token) for A and B
        ma, mb = a.rec.mark(), b.rec.mark()
        a_progress, b_progress = [], []
        a_first = asyncio.Event()

        async def on_a(progress, total, message):
            a_progress.append((progress, total))
            a_first.set()

        async def on_b(progress, total, message):
            b_progress.append((progress, total))

        late_before = len(self.late.ids)
        # A's call would answer after 3 s, B's after 4 s: by the time B's result is in, a response
        # to A's cancelled call would have arrived if the cancellation had not been applied.
        task_a = asyncio.create_task(a.call_with_id(rid, long_op, {"duration": 3, "steps": 3}, on_a))
        task_b = asyncio.create_task(b.call_with_id(rid, long_op, {"duration": 4, "steps": 4}, on_b))
        try:
            try:
                await asyncio.wait_for(a_first.wait(), self.timeout)
            except asyncio.TimeoutError:
                raise FlowError(f"A: no progress for request {rid!r} within {self.timeout:g}s") from None
            check(not task_a.done(), "A: the long call finished before it could be cancelled")
            task_a.cancel()  # the SDK sends notifications/cancelled for rid
            outcome = (await asyncio.gather(task_a, return_exceptions=True))[0]
            check(
                isinstance(outcome, asyncio.CancelledError),
                f"A: cancelled call ended with {outcome!r} instead of being cancelled",
            )
            cancelled_at = len(a_progress)

            # The server keeps serving both clients while B's call (same id) is still running.
            ea, eb = await asyncio.gather(
                a.call(self.tool("echo"), {"message": f"after-cancel-A-{self.nonce}"}),
                b.call(self.tool("echo"), {"message": f"after-cancel-B-{self.nonce}"}),
            )
            check(f"after-cancel-A-{self.nonce}" in texts_of(ea), f"A: echo after cancel returned {texts_of(ea)!r}")
            check(f"after-cancel-B-{self.nonce}" in texts_of(eb), f"B: echo after cancel returned {texts_of(eb)!r}")
            if task_b.done() and not task_b.cancelled() and task_b.exception() is not None:
                raise FlowError(f"B: its call under the shared id failed after A cancelled: {task_b.exception()!r}")

            rb = await task_b
        finally:
            for task in (task_a, task_b):
                if not task.done():
                    task.cancel()
        check("Steps: 4" in texts_of(rb), f"B: call under the shared id returned {texts_of(rb)!r}")
        await self.barrier(a, b)
        check(b_progress, "B: no progress for its call under the shared id")
        check(all(t == 4 for _, t in b_progress), f"B (steps=4) got progress of A's cancelled call: {b_progress}")
        late = [i for i in self.late.ids[late_before:] if i == rid]
        check(not late, f"A: a response for the cancelled request {rid!r} still arrived")
        self.none_for(b, mb, "progress", "progress of A's cancelled call", lambda e: e.data["total"] == 3)
        # server-everything's long-running tool ignores the abort signal and keeps emitting
        # progress for the cancelled request (only its response is suppressed): informational.
        late_progress = len(a.rec.since(ma, "progress", lambda e: e.data["token"] == rid)) - cancelled_at
        self.details["cancellation"] = {
            "A_progress_before_cancel": cancelled_at,
            "A_progress_after_cancel": max(0, late_progress),
            "B_progress": len(b_progress),
        }

    async def sampling_call(self, client):
        prompt = f"prompt-{client.label}-{self.nonce}"
        result = await client.call(self.tool("trigger-sampling-request"), {"prompt": prompt, "maxTokens": 16})
        return prompt, texts_of(result)

    async def step_sampling(self):
        a, b = self.a, self.b
        ma, mb = a.rec.mark(), b.rec.mark()
        prompt, text = await self.sampling_call(a)
        got = a.rec.since(ma, "sampling")
        check(len(got) == 1, f"A: sampling callback invoked {len(got)} times, expected once")
        check(prompt in got[0].data["prompt"], f"A: sampling request without A's prompt: {got[0].data!r}")
        check(a.sample_reply in text, f"A: tool result lacks A's sampled text {a.sample_reply!r}: {text!r}")
        self.none_for(b, mb, "sampling", "a sampling/createMessage request")

        # Both at once: each callback sees only its own prompt, each result only its own text.
        ma, mb = a.rec.mark(), b.rec.mark()
        (pa, ta), (pb, tb) = await asyncio.gather(self.sampling_call(a), self.sampling_call(b))
        for client, mark, prompt, text, other in ((a, ma, pa, ta, b), (b, mb, pb, tb, a)):
            got = client.rec.since(mark, "sampling")
            check(len(got) == 1, f"{client.label}: sampling callback invoked {len(got)} times concurrently")
            check(prompt in got[0].data["prompt"], f"{client.label}: got the other's sampling request {got[0].data!r}")
            check(client.sample_reply in text, f"{client.label}: result lacks its sampled text: {text!r}")
            check(other.sample_reply not in text, f"{client.label}: result holds the other's sampled text: {text!r}")

    async def elicitation_call(self, client):
        result = await client.call(self.tool("trigger-elicitation-request"), {})
        return texts_of(result)

    async def step_elicitation(self):
        a, b = self.a, self.b
        ma, mb = a.rec.mark(), b.rec.mark()
        text = await self.elicitation_call(a)
        got = a.rec.since(ma, "elicitation")
        check(len(got) == 1, f"A: elicitation callback invoked {len(got)} times, expected once")
        check(f"- Name: {a.elicit_name}" in text, f"A: tool result does not reflect A's answer: {text!r}")
        self.none_for(b, mb, "elicitation", "an elicitation/create request")

        ma, mb = a.rec.mark(), b.rec.mark()
        ta, tb = await asyncio.gather(self.elicitation_call(a), self.elicitation_call(b))
        for client, mark, text, other in ((a, ma, ta, b), (b, mb, tb, a)):
            got = client.rec.since(mark, "elicitation")
            check(len(got) == 1, f"{client.label}: elicitation callback invoked {len(got)} times concurrently")
            check(f"- Name: {client.elicit_name}" in text, f"{client.label}: result lacks its own answer: {text!r}")
            check(other.elicit_name not in text, f"{client.label}: result holds the other's answer: {text!r}")

    async def root_uris(self, client):
        """The root URIs get-roots-list reports to `client` ("N. name\n   URI: uri" lines)."""
        text = texts_of(await client.call(self.tool("get-roots-list"), {}))
        return set(re.findall(r"URI: (\S+)", text)), text

    async def step_roots(self):
        a, b = self.a, self.b
        a_root, b_root = str(a.roots[0].uri), str(b.roots[0].uri)
        (ua, ta), (ub, tb) = await asyncio.gather(self.root_uris(a), self.root_uris(b))
        check(ua == {a_root}, f"A: get-roots-list should show exactly A's root {a_root}: {ta!r}")
        check(ub == {b_root}, f"B: get-roots-list should show exactly B's root {b_root}: {tb!r}")

        ma, mb = a.rec.mark(), b.rec.mark()
        new_root = f"file:///flows/{self.nonce}/changed-A"
        a.roots = [types.Root(uri=new_root, name="root-A-changed")]
        await a.session.send_roots_list_changed()
        await a.rec.wait_for(ma, "list_roots", None, self.timeout, "roots/list request after roots/list_changed")
        # The server stores the roots when A's answer arrives; get-roots-list may run just before
        # that, so re-ask (bounded) until the new root shows.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while (ua := (await self.root_uris(a)))[0] != {new_root}:
            check(loop.time() < deadline, f"A: get-roots-list does not show exactly {new_root} after list_changed: {ua[1]!r}")
            await asyncio.sleep(0.1)
        self.none_for(b, mb, "list_roots", "a roots/list request")
        ub, tb = await self.root_uris(b)
        check(ub == {b_root}, f"B: get-roots-list changed with A's roots: {tb!r}")
        self.none_for(b, mb, "list_roots", "a roots/list request")

    async def toggle(self, client, tool, want):
        """server-everything's toggles flip per-session state; call until the reply says `want`."""
        text = ""
        for _ in range(2):
            text = texts_of(await client.call(self.tool(tool), {}))
            if text.startswith(want):
                return text
        raise FlowError(f"{client.label}: {tool} never answered {want!r}: {text!r}")

    async def step_logging(self):
        a, b = self.a, self.b
        ma, mb = a.rec.mark(), b.rec.mark()
        await a.session.set_logging_level("debug")
        await self.toggle(a, "toggle-simulated-logging", "Started")
        try:
            simulated = lambda e: isinstance(e.data["data"], str) and SIMULATED_LOG.search(e.data["data"])  # noqa: E731
            got = await a.rec.wait_for(ma, "log", simulated, self.timeout, "simulated log message")
        finally:
            await self.toggle(a, "toggle-simulated-logging", "Stopped")
        await self.barrier(a, b)
        self.none_for(b, mb, "log", "a simulated log message", simulated)
        self.details["logging"] = {"A_simulated": len(a.rec.since(ma, "log", simulated)), "first": got[0].data}

    async def step_subscriptions(self):
        a, b = self.a, self.b
        uri = f"demo://resource/dynamic/text/{secrets.randbelow(900000) + 100000}"
        ma, mb = a.rec.mark(), b.rec.mark()
        await a.session.subscribe_resource(uri)
        await self.toggle(a, "toggle-subscriber-updates", "Started")
        try:
            await a.rec.wait_for(
                ma, "resource_updated", lambda e: e.data["uri"] == uri, self.timeout, f"resources/updated for {uri}"
            )
        finally:
            await a.session.unsubscribe_resource(uri)
            await self.toggle(a, "toggle-subscriber-updates", "Stopped")
        await self.barrier(a, b)
        other = a.rec.since(ma, "resource_updated", lambda e: e.data["uri"] != uri)
        check(not other, f"A: resources/updated for URIs it did not subscribe to: {[e.data for e in other]}")
        self.none_for(b, mb, "resource_updated", "notifications/resources/updated")
        self.none_for(b, mb, "log", f"a log message about {uri}", lambda e: uri in str(e.data["data"]))
        self.details["subscriptions"] = {"uri": uri, "A_updates": len(a.rec.since(ma, "resource_updated"))}

    async def step_list_changed(self):
        a, b = self.a, self.b
        name = f"flows-{self.nonce}-A.txt"
        data = "data:text/plain;base64," + base64.b64encode(f"hello from A {self.nonce}".encode()).decode()
        ma, mb = a.rec.mark(), b.rec.mark()
        result = await a.call(self.tool("gzip-file-as-resource"), {"name": name, "data": data})
        links = [blk for blk in result.content if isinstance(blk, types.ResourceLink)]
        check(links and name in str(links[0].uri), f"A: gzip-file-as-resource returned no link to {name}: {result!r}")
        is_resources = lambda e: e.data["what"] == "resources"  # noqa: E731
        visible = {}
        for client, mark in ((a, ma), (b, mb)):
            listed = await client.resources()
            visible[client.label] = any(name in str(r.uri) for r in listed)
            if visible[client.label]:
                await client.rec.wait_for(
                    mark, "list_changed", is_resources, self.timeout, "notifications/resources/list_changed"
                )
        check(visible["A"], f"A: resources/list does not show the resource {name} it just created")
        await self.barrier(a, b)
        if not visible["B"]:
            self.none_for(b, mb, "list_changed", "notifications/resources/list_changed for a resource it cannot see", is_resources)
        self.details["list_changed"] = {"visible": visible}


async def run(args):
    nonce = secrets.token_hex(4)
    late = LateResponses()
    dispatcher_log = logging.getLogger("mcp.shared.jsonrpc_dispatcher")
    dispatcher_log.addHandler(late)
    dispatcher_log.setLevel(logging.DEBUG)

    a, b = Client("A", nonce, args.timeout), Client("B", nonce, args.timeout)
    summary = {}
    async with contextlib.AsyncExitStack() as stack:
        await a.open(stack, args.url)
        await b.open(stack, args.url)
        flows = Flows(a, b, args.prefix, args.timeout, late)
        flows.details["nonce"] = nonce
        try:
            inits = await asyncio.wait_for(
                asyncio.gather(a.session.initialize(), b.session.initialize(), return_exceptions=True), args.timeout
            )
            for init in inits:
                if isinstance(init, BaseException):
                    raise init
            flows.details["protocol_version"] = inits[0].protocol_version
            flows.details["server"] = inits[0].server_info.name
            await asyncio.wait_for(flows.setup(args.steps, {"A": 0, "B": 0}), args.timeout * 3)
        except FlowError as exc:
            return {"setup": f"FAIL: {exc}", "details": flows.details}, f"setup: {exc}"
        except asyncio.TimeoutError:
            message = f"initialize/setup did not finish within {args.timeout:g}s (x3 for setup)"
            return {"setup": f"FAIL: {message}", "details": flows.details}, f"setup: {message}"
        except Exception as exc:  # noqa: BLE001 - transport or protocol error
            return {"setup": f"FAIL: {type(exc).__name__}: {exc}", "details": flows.details}, (
                f"setup: {traceback.format_exc()}"
            )
        for step in args.steps:
            try:
                # Each step is bounded as a whole too (the slowest waits ~5 s per server interval).
                await asyncio.wait_for(getattr(flows, f"step_{step}")(), args.timeout * 4)
            except FlowError as exc:
                summary[step] = f"FAIL: {exc}"
                summary["details"] = flows.details
                return summary, f"step {step}: {exc}"
            except asyncio.TimeoutError:
                summary[step] = f"FAIL: step did not finish within {args.timeout * 4:g}s"
                summary["details"] = flows.details
                return summary, f"step {step}: did not finish within {args.timeout * 4:g}s"
            except Exception as exc:  # noqa: BLE001 - a transport or protocol error fails the step
                summary[step] = f"FAIL: {type(exc).__name__}: {exc}"
                summary["details"] = flows.details
                return summary, f"step {step}: {traceback.format_exc()}"
            summary[step] = "ok"
        summary["details"] = flows.details
    return summary, None


def root_cause(exc):
    """The first leaf of a (nested) exception group that is not a cancellation, as text."""
    leaves, todo = [], [exc]
    while todo:
        item = todo.pop(0)
        if isinstance(item, BaseExceptionGroup):
            todo.extend(item.exceptions)
        else:
            leaves.append(item)
    for leaf in leaves:
        if not isinstance(leaf, (asyncio.CancelledError, KeyboardInterrupt)):
            return f"{type(leaf).__name__}: {leaf}"
    return f"{type(exc).__name__}: {exc}"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="streamable-HTTP MCP endpoint, e.g. http://127.0.0.1:3001/mcp")
    parser.add_argument("--prefix", default="ev", help='tool-name prefix P in "P__name" ("" for none; default ev)')
    parser.add_argument("--steps", default=",".join(ALL_STEPS), help=f"comma-separated subset of {ALL_STEPS}")
    parser.add_argument("--timeout", type=float, default=20.0, help="bound for every wait, in seconds (default 20)")
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in ALL_STEPS]
    if unknown or not steps:
        parser.print_usage(sys.stderr)
        print(f"unknown steps {unknown}; known: {','.join(ALL_STEPS)}", file=sys.stderr)
        sys.exit(64)
    args.steps = steps
    return args


def main():
    args = parse_args(sys.argv[1:])
    try:
        summary, failure = asyncio.run(run(args))
    except BaseException as exc:  # noqa: BLE001 - setup/transport failures fail the run
        traceback.print_exc()
        cause = root_cause(exc)
        print(json.dumps({"setup": f"FAIL: {cause}"}))
        print(f"flows.py: cannot run against {args.url}: {cause}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(summary, default=str))
    if failure:
        print(f"flows.py: {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
