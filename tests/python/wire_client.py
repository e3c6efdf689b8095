#!/usr/bin/env python3
"""One official-SDK client session over a legacy wire: the HTTP+SSE transport or stdio.

Usage: wire_client.py sse URL
       wire_client.py stdio COMMAND [ARGS...]

Initializes, lists tools, calls `ev__echo`, calls `ev__trigger-long-running-operation` with a
progress callback, and `ev__trigger-sampling-request` with a sampling callback (tools of
@modelcontextprotocol/server-everything behind mcpmux under the prefix `ev`). Prints a JSON
summary on stdout: {"protocol_version", "server", "tools", "echo", "progress", "sampling_prompt",
"sampled"}. Exit 3: the `mcp` package is not importable.
"""

import asyncio
import contextlib
import json
import sys

try:
    from mcp import types
    from mcp.client.session import ClientSession
    from mcp.client.sse import sse_client
    from mcp.client.stdio import StdioServerParameters, stdio_client
except ImportError as exc:  # pragma: no cover - setup problem
    print(f"cannot import the MCP Python SDK: {exc}; run .ci/run or `pip install mcp`", file=sys.stderr)
    sys.exit(3)

SAMPLED = "sampled over the legacy wire"


def texts(result):
    return [c.text for c in result.content if isinstance(c, types.TextContent)]


async def run(wire, target):
    summary = {"progress": 0, "sampling_prompt": None}

    async def on_sampling(context, params):
        summary["sampling_prompt"] = "\n".join(
            m.content.text for m in params.messages if isinstance(m.content, types.TextContent)
        )
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=SAMPLED),
            model="wire-model",
            stop_reason="endTurn",
        )

    async def on_progress(progress, total, message):
        summary["progress"] += 1

    async with contextlib.AsyncExitStack() as stack:
        if wire == "sse":
            read, write = await stack.enter_async_context(sse_client(target[0]))
        else:
            params = StdioServerParameters(command=target[0], args=target[1:])
            read, write = await stack.enter_async_context(stdio_client(params))
        session = await stack.enter_async_context(
            ClientSession(read, write, read_timeout_seconds=60, sampling_callback=on_sampling)
        )
        init = await session.initialize()
        summary["protocol_version"] = init.protocol_version
        summary["server"] = init.server_info.name
        tools = await session.list_tools()
        summary["tools"] = sorted(t.name for t in tools.tools)
        echo = await session.call_tool("ev__echo", {"message": "over the wire"})
        summary["echo"] = texts(echo)
        await session.call_tool(
            "ev__trigger-long-running-operation",
            {"duration": 1, "steps": 3},
            progress_callback=on_progress,
        )
        sampled = await session.call_tool("ev__trigger-sampling-request", {"prompt": "say hi", "maxTokens": 5})
        summary["sampled"] = texts(sampled)
    return summary


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("sse", "stdio"):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    summary = asyncio.run(run(sys.argv[1], sys.argv[2:]))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
