#!/usr/bin/env python3
"""One official-SDK client in the 2026-07-28 era (stateless, `mode="auto"`) through mcpmux.

Usage: modern_client.py URL

The gateway fronts the built-in example server under the prefix `ex`. The client probes
`server/discover` (and must adopt the modern era), lists tools, calls `ex__echo`,
`ex__progress` with a progress callback, `ex__log` with a log level, and `ex__ask` for
sampling, elicitation and roots (each reaches the client as an `InputRequiredResult` that the
SDK answers with its callbacks and retries), then opens a `subscriptions/listen` stream for
tools and sees `ex__add_tool` change the list, and one for a resource that `ex__touch`
updates. Prints a JSON summary on stdout. Exit 3: the
`mcp` package is not importable.
"""

import asyncio
import json
import sys

try:
    from mcp import types
    from mcp.client.client import Client
except ImportError as exc:  # pragma: no cover - setup problem
    print(f"cannot import the MCP Python SDK: {exc}; run .ci/run or `pip install mcp`", file=sys.stderr)
    sys.exit(3)

SAMPLED = "sampled for a stateless client"


def texts(result):
    return [c.text for c in result.content if isinstance(c, types.TextContent)]


async def run(url):
    summary = {"progress": 0, "logs": [], "asked": []}

    async def on_sampling(context, params):
        summary["asked"].append("sampling")
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=SAMPLED),
            model="modern-model",
            stop_reason="endTurn",
        )

    async def on_elicitation(context, params):
        summary["asked"].append("elicitation")
        return types.ElicitResult(action="accept", content={"name": "octocat"})

    async def on_roots(context):
        summary["asked"].append("roots")
        return types.ListRootsResult(roots=[types.Root(uri="file:///work/project", name="project")])

    async def on_log(params):
        summary["logs"].append({"level": params.level, "data": params.data})

    async def on_progress(progress, total, message):
        summary["progress"] += 1

    async with Client(
        url,
        mode="auto",
        read_timeout_seconds=60,
        sampling_callback=on_sampling,
        elicitation_callback=on_elicitation,
        list_roots_callback=on_roots,
        logging_callback=on_log,
        log_level="info",
    ) as client:
        session = client.session
        summary["era"] = "modern" if getattr(session, "discover_result", None) is not None else "legacy"
        discovered = getattr(session, "discover_result", None)
        summary["supported_versions"] = list(discovered.supported_versions) if discovered else []
        tools = await client.list_tools()
        summary["tools"] = sorted(t.name for t in tools.tools)
        summary["echo"] = texts(await client.call_tool("ex__echo", {"text": "stateless"}))
        await client.call_tool("ex__progress", {"steps": 3}, progress_callback=on_progress)
        await client.call_tool("ex__log", {"level": "warning", "text": "heard at info"})
        await client.call_tool("ex__log", {"level": "debug", "text": "below the level"})
        sampled = await client.call_tool(
            "ex__ask",
            {
                "method": "sampling/createMessage",
                "params": {
                    "messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}],
                    "maxTokens": 10,
                },
            },
        )
        summary["sampled"] = texts(sampled)
        elicited = await client.call_tool(
            "ex__ask",
            {
                "method": "elicitation/create",
                "params": {
                    "mode": "form",
                    "message": "Who are you?",
                    "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
            },
        )
        summary["elicited"] = texts(elicited)
        summary["roots"] = texts(await client.call_tool("ex__ask", {"method": "roots/list"}))
        async with client.listen(tools_list_changed=True) as subscription:
            summary["honored"] = subscription.honored.model_dump(by_alias=True, exclude_none=True)
            await client.call_tool("ex__add_tool", {"name": "late"})
            async for event in subscription:
                summary["event"] = type(event).__name__
                break
        tools = await client.list_tools()
        summary["tools_after"] = sorted(t.name for t in tools.tools)
        async with client.listen(resource_subscriptions=["example://readme"]) as subscription:
            summary["honored_resources"] = list(subscription.honored.resource_subscriptions or [])
            summary["touched"] = texts(await client.call_tool("ex__touch", {"uri": "example://readme"}))
            async for event in subscription:
                summary["resource_event"] = type(event).__name__
                summary["resource_uri"] = str(getattr(event, "uri", ""))
                break
    return summary


def main():
    summary = asyncio.run(run(sys.argv[1]))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
