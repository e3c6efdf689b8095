#!/usr/bin/env python3
"""Deterministic generator for tool_corpus.json: a namespaced `tools/list` as an MCP gateway
would expose it, over many backends modelled on real MCP servers.

Each backend is a block of lines `name | description | params`. `params` is a space-separated
list of `name[!][:type]`: `!` marks required; types are s (default), i, n, b, a (string array),
o (object) or e(x|y|z) for an enum. Parameter descriptions come from PARAM_DOCS, per-backend
overrides, or are derived from the name (a few are left without one, as real servers do).
Backends in data_*.py files add `crud(...)` resources whose tools are templated with varied
wording. Run: python3 gen_corpus.py  (writes tool_corpus.json next to this file).
"""
import hashlib
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.Random(1_000_003)

PARAM_DOCS = {
    "owner": "Repository owner (username or organization)",
    "repo": "Repository name",
    "title": "Title",
    "body": "Body content (Markdown supported)",
    "labels": "Labels to apply",
    "assignees": "Usernames to assign",
    "state": "Filter by state",
    "issue_number": "The number of the issue",
    "pull_number": "The pull request number",
    "branch": "Branch name",
    "base": "Branch to merge into",
    "head": "Branch containing the changes",
    "path": "Path to the file or directory",
    "content": "Content to write",
    "message": "Commit message",
    "sha": "Commit SHA or blob SHA",
    "ref": "Git ref (branch, tag or commit SHA)",
    "query": "Search query",
    "q": "Search query string",
    "page": "Page number for pagination (min 1)",
    "perPage": "Results per page for pagination (min 1, max 100)",
    "per_page": "Number of results per page (max 100)",
    "limit": "Maximum number of results to return",
    "cursor": "Pagination cursor from a previous response",
    "after": "Cursor for pagination; use the endCursor of the previous page",
    "offset": "Number of items to skip",
    "sort": "Field to sort by",
    "order": "Sort direction (asc or desc)",
    "direction": "Sort direction",
    "since": "Only return results updated after this ISO 8601 timestamp",
    "until": "Only return results before this ISO 8601 timestamp",
    "project_id": "ID or URL-encoded path of the project",
    "projectId": "The project ID",
    "team_id": "The team ID",
    "teamId": "The team identifier",
    "user_id": "The user ID",
    "userId": "The user ID",
    "channel": "Channel name or ID",
    "channel_id": "The ID of the channel",
    "text": "The message text",
    "thread_ts": "Timestamp of the parent message, in the format '1234567890.123456'",
    "timestamp": "Timestamp of the message",
    "name": "Name",
    "description": "Description",
    "email": "Email address",
    "id": "Unique identifier",
    "namespace": "Kubernetes namespace (defaults to 'default')",
    "container": "Container name",
    "image": "Image name, optionally with a tag",
    "url": "URL to fetch",
    "selector": "CSS selector for the element",
    "value": "Value to set",
    "key": "Key name",
    "ttl": "Time to live in seconds",
    "database": "Database name",
    "db": "Database name",
    "collection": "Collection name",
    "table": "Table name",
    "table_name": "Name of the table",
    "sql": "The SQL statement to run",
    "filter": "Filter expression",
    "fields": "Fields to include in the response",
    "start": "Start time (ISO 8601)",
    "end": "End time (ISO 8601)",
    "from": "Start of the time range",
    "to": "End of the time range",
    "region": "Region, for example us-east-1",
    "bucket": "Bucket name",
    "tags": "Tags to attach",
    "amount": "Amount in the smallest currency unit (e.g. cents)",
    "currency": "Three-letter ISO currency code",
    "customer": "The ID of the customer",
    "status": "Status to filter by",
    "priority": "Priority level",
    "due_date": "Due date (YYYY-MM-DD)",
    "dueDate": "Due date in ISO format",
    "comment": "Comment text",
    "file_id": "ID of the file",
    "fileId": "The ID of the file",
    "folder_id": "ID of the parent folder",
    "calendarId": "Calendar identifier; use 'primary' for the user's primary calendar",
    "eventId": "Event identifier",
    "timeMin": "Lower bound (inclusive) for an event's end time, RFC3339",
    "timeMax": "Upper bound (exclusive) for an event's start time, RFC3339",
    "summary": "Short summary or title",
    "location": "Location",
    "attendees": "Email addresses of attendees",
    "subject": "Email subject",
    "cc": "CC recipients",
    "bcc": "BCC recipients",
    "messageId": "ID of the email message",
    "threadId": "ID of the thread",
    "pod": "Pod name",
    "deployment": "Deployment name",
    "replicas": "Desired number of replicas",
    "resourceType": "Type of resource (pods, deployments, services, ...)",
    "instance_ids": "List of instance IDs",
    "function_name": "Name or ARN of the Lambda function",
    "payload": "JSON payload",
    "workspace": "Workspace name or ID",
    "organization": "Organization name or slug",
    "organization_slug": "The organization's slug",
    "project_slug": "The project's slug",
    "issue_id": "The issue ID",
    "issueId": "The issue ID",
    "incident_id": "The incident ID",
    "service_id": "The service ID",
    "dashboard_uid": "UID of the dashboard",
    "uid": "Unique identifier",
    "datasourceUid": "UID of the datasource",
    "expr": "PromQL expression",
    "logql": "LogQL query",
    "startRfc3339": "Start time in RFC3339 format",
    "endRfc3339": "End time in RFC3339 format",
    "account_id": "Account ID",
    "zone_id": "Zone ID",
    "entity_id": "Entity ID, for example light.kitchen",
    "ticket_id": "The ID of the ticket",
    "spreadsheet_id": "ID of the spreadsheet (from its URL)",
    "sheet": "Sheet (tab) name",
    "range": "A1 notation range, e.g. Sheet1!A1:C10",
    "playlist_id": "Spotify playlist ID",
    "uris": "Spotify URIs",
    "video_id": "YouTube video ID",
    "latitude": "Latitude in decimal degrees",
    "longitude": "Longitude in decimal degrees",
    "address": "Street address or place name",
    "origin": "Starting point (address or coordinates)",
    "destination": "Ending point (address or coordinates)",
    "mode": "Travel mode (driving, walking, bicycling, transit)",
    "timezone": "IANA timezone name, e.g. Europe/Berlin",
    "width": "Width in pixels",
    "height": "Height in pixels",
    "element": "Human-readable element description used to obtain permission to interact with the element",
    "confirm": "Must be true to confirm this destructive action",
    "dry_run": "If true, only show what would change",
    "force": "Force the operation",
}

NO_DOC_SHARE = 7  # one parameter in NO_DOC_SHARE without a known doc is left undocumented


def h(s):
    return int(hashlib.sha256(s.encode()).hexdigest()[:8], 16)


def words_of(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", s) if w]


def derived_doc(pname):
    w = words_of(pname)
    if w and w[-1] == "id" and len(w) > 1:
        return "ID of the " + " ".join(w[:-1])
    if w and w[0] in ("include", "is", "allow", "enable"):
        return " ".join(w).capitalize() + " (boolean flag)"
    return "The " + " ".join(w)


def parse_type(t):
    if t in ("", "s"):
        return {"type": "string"}
    if t == "i":
        return {"type": "integer"}
    if t == "n":
        return {"type": "number"}
    if t == "b":
        return {"type": "boolean"}
    if t == "a":
        return {"type": "array", "items": {"type": "string"}}
    if t == "o":
        return {"type": "object"}
    m = re.fullmatch(r"e\((.*)\)", t)
    if m:
        return {"type": "string", "enum": m.group(1).split("|")}
    raise ValueError("bad type " + t)


def schema(spec, overrides, tool_name):
    props, required = {}, []
    for tok in spec.split():
        name, _, typ = tok.partition(":")
        req = name.endswith("!")
        name = name.rstrip("!")
        p = parse_type(typ)
        doc = overrides.get(name) or PARAM_DOCS.get(name)
        if doc is None and h(tool_name + name) % NO_DOC_SHARE != 0:
            doc = derived_doc(name)
        if doc:
            p["description"] = doc
        props[name] = p
        if req:
            required.append(name)
    s = {"type": "object", "properties": props}
    if required:
        s["required"] = required
    return s


def humanize(name):
    w = words_of(name)
    return " ".join(w).capitalize()


class Backend:
    def __init__(self, alias, product, block="", pd=None, titles=False, style="snake"):
        self.alias = alias
        self.product = product
        self.pd = pd or {}
        self.titles = titles
        self.style = style
        self.tools = []
        self.add_block(block)

    def add(self, name, desc, spec=""):
        t = {"name": f"{self.alias}__{name}", "description": desc, "inputSchema": schema(spec, self.pd, name)}
        if self.titles:
            ro = words_of(name)[0] in ("get", "list", "search", "find", "read", "query", "describe", "fetch")
            t["annotations"] = {"title": humanize(name), "readOnlyHint": ro}
        self.tools.append(t)

    def add_block(self, block):
        for line in block.strip().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) == 2:
                parts.append("")
            name, desc, spec = parts
            self.add(name, desc.replace("\\n", "\n"), spec)

    def nm(self, verb, noun):
        words = [verb] + noun.split()
        if self.style == "camel":
            return words[0] + "".join(w.capitalize() for w in words[1:])
        if self.style == "kebab":
            return "-".join(words)
        if self.style.startswith("prefix:"):
            return self.style[7:] + "_".join(words)
        return "_".join(words)

    def crud(self, singular, plural=None, ops="lgcud", fields="name! description", scope="",
             list_params="limit:i cursor", detail="its properties", id_param=None, verbs=None):
        """Templated list/get/create/update/delete tools for one resource, worded variously."""
        plural = plural or (singular[:-1] + "ies" if singular.endswith("y") else singular + "s")
        idp = id_param or (singular.replace(" ", "_") + "_id")
        v = {"l": "list", "g": "get", "c": "create", "u": "update", "d": "delete", "s": "search"}
        v.update(verbs or {})
        P, S = self.product, singular
        for op in ops:
            r = RNG.random()
            if op == "l":
                desc = pick(r, [
                    f"List {plural} in {P}.",
                    f"Returns a paginated list of {plural}. Results are ordered by creation date, most recent first.",
                    f"List all {plural} you have access to.",
                    f"Retrieve {plural} from {P}, optionally filtered.",
                    f"Lists {plural}.",
                ])
                self.add(self.nm(v["l"], plural), desc, f"{scope} {list_params}")
            elif op == "g":
                desc = pick(r, [
                    f"Get a single {S} by ID.",
                    f"Retrieve the details of an existing {S}, including {detail}.",
                    f"Fetch a {P} {S} by its identifier.",
                    f"Returns the {S} with the given ID.",
                ])
                self.add(self.nm(v["g"], singular), desc, f"{scope} {idp}!")
            elif op == "c":
                desc = pick(r, [
                    f"Create a new {S} in {P}.",
                    f"Creates a {S}. Returns the created object.",
                    f"Create a {S}.",
                    f"Add a new {S} to {P}.",
                ])
                self.add(self.nm(v["c"], singular), desc, f"{scope} {fields}")
            elif op == "u":
                desc = pick(r, [
                    f"Update an existing {S}. Only the provided fields are changed.",
                    f"Updates the specified {S} by setting the values of the parameters passed.",
                    f"Modify a {S}'s {detail}.",
                    f"Update a {P} {S}.",
                ])
                self.add(self.nm(v["u"], singular), desc, f"{scope} {idp}! " + fields.replace("!", ""))
            elif op == "d":
                desc = pick(r, [
                    f"Delete a {S}. This cannot be undone.",
                    f"Permanently deletes a {S}.",
                    f"Remove a {S} from {P}.",
                    f"Delete the specified {S}.",
                ])
                self.add(self.nm(v["d"], singular), desc, f"{scope} {idp}!")
            elif op == "s":
                desc = pick(r, [
                    f"Search {plural} by keyword.",
                    f"Search for {plural} matching a query. Supports filtering by {detail}.",
                    f"Full-text search across {P} {plural}.",
                ])
                self.add(self.nm(v["s"], plural), desc, f"{scope} query! {list_params}")
        return self


def pick(r, options):
    return options[int(r * len(options))]


BACKENDS = []


def B(*a, **k):
    b = Backend(*a, **k)
    BACKENDS.append(b)
    return b


def main():
    sys.path.insert(0, os.path.join(HERE, "corpus"))
    import data_dev  # noqa: F401  (each module registers its backends through B)
    import data_ops  # noqa: F401
    import data_saas  # noqa: F401
    import data_misc  # noqa: F401

    tools, seen = [], set()
    for b in BACKENDS:
        for t in b.tools:
            if t["name"] in seen:
                raise SystemExit("duplicate tool " + t["name"])
            seen.add(t["name"])
            tools.append(t)
    with open(os.path.join(HERE, "tool_corpus.json"), "w") as f:
        json.dump(tools, f, indent=1, ensure_ascii=False)
        f.write("\n")
    aliases = {t["name"].split("__")[0] for t in tools}
    print(f"{len(tools)} tools over {len(aliases)} backends")


if __name__ == "__main__":
    sys.modules.setdefault("gen_corpus", sys.modules["__main__"])
    main()
