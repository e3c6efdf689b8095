#!/usr/bin/env python3
"""Drive an MCP server over streamable HTTP with the official Python SDK (`pip install mcp`).

Usage: client_session.py URL PLAN_JSON

PLAN_JSON is an object:
    {"calls":   [[tool_name, {arguments}], ...],
     "prompts": [[prompt_name, {arguments}], ...],
     "reads":   [uri, ...]}

The script initializes a session (legacy `initialize` handshake), lists tools, prompts,
resources and resource templates (following every `nextCursor`), runs the plan, and prints
one JSON object on stdout:
    {"protocol_version", "server_name", "tools", "tool_pages", "prompts", "resources",
     "resource_templates", "calls": {name: text}, "prompt_messages": {name: {role, text}},
     "reads": {uri: text}}
Any failure (transport, JSON-RPC error, a tool result with isError) prints a traceback on
stderr and exits 1. Exit 3 means the `mcp` package is not importable.
"""

import asyncio
import json
import sys
import traceback

try:
    from mcp import types
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
except ImportError as exc:  # pragma: no cover - reported by the Rust test
    print(f"cannot import the MCP Python SDK: {exc}; run .ci/run or `pip install mcp`", file=sys.stderr)
    sys.exit(3)

MAX_PAGES = 1000


async def list_all(fetch, items_of):
    """Follow nextCursor to the end; return (items, number_of_pages)."""
    items, pages, cursor = [], 0, None
    while True:
        params = types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None
        result = await fetch(params=params)
        pages += 1
        items.extend(items_of(result))
        cursor = result.next_cursor
        if cursor is None:
            return items, pages
        if pages >= MAX_PAGES:
            raise RuntimeError(f"listing did not end after {MAX_PAGES} pages")


def first_text(blocks, what):
    for block in blocks:
        if isinstance(block, types.TextContent):
            return block.text
    raise RuntimeError(f"{what}: no text content in {blocks!r}")


async def run(url, plan):
    summary = {}
    async with streamable_http_client(url) as (read_stream, write_stream):
        async with ClientSession(read_stream, write_stream) as session:
            init = await session.initialize()
            summary["protocol_version"] = init.protocol_version
            summary["server_name"] = init.server_info.name

            tools, pages = await list_all(session.list_tools, lambda r: [t.name for t in r.tools])
            summary["tools"] = tools
            summary["tool_pages"] = pages
            summary["prompts"], _ = await list_all(
                session.list_prompts, lambda r: [p.name for p in r.prompts]
            )
            summary["resources"], _ = await list_all(
                session.list_resources, lambda r: [str(res.uri) for res in r.resources]
            )
            summary["resource_templates"], _ = await list_all(
                session.list_resource_templates,
                lambda r: [t.uri_template for t in r.resource_templates],
            )

            calls = {}
            for name, arguments in plan.get("calls", []):
                result = await session.call_tool(name, arguments)
                if result.is_error:
                    raise RuntimeError(f"tools/call {name} returned isError: {result!r}")
                calls[name] = first_text(result.content, f"tools/call {name}")
            summary["calls"] = calls

            prompt_messages = {}
            for name, arguments in plan.get("prompts", []):
                result = await session.get_prompt(name, arguments)
                if not result.messages:
                    raise RuntimeError(f"prompts/get {name} returned no messages")
                message = result.messages[0]
                prompt_messages[name] = {
                    "role": message.role,
                    "text": first_text([message.content], f"prompts/get {name}"),
                }
            summary["prompt_messages"] = prompt_messages

            reads = {}
            for uri in plan.get("reads", []):
                result = await session.read_resource(uri)
                texts = [c.text for c in result.contents if isinstance(c, types.TextResourceContents)]
                if not texts:
                    raise RuntimeError(f"resources/read {uri}: no text contents in {result!r}")
                reads[uri] = texts[0]
            summary["reads"] = reads
    return summary


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    url, plan = sys.argv[1], json.loads(sys.argv[2])
    try:
        summary = asyncio.run(run(url, plan))
    except BaseException:  # noqa: BLE001 - any failure is reported and fails the run
        traceback.print_exc()
        sys.exit(1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
