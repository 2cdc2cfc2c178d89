"""Drives spool-mcp with the official Python MCP client (mcp 2.3.0) in one mode.

Usage: drive.py MODE TARGET SPOOL_MCP SPOOL
  MODE: legacy | auto | 2026-07-28
  TARGET: stdio (the client starts SPOOL_MCP on SPOOL) or an http://.../mcp URL
Prints one JSON object with what each step saw; the Swift test checks it.
"""
import asyncio
import json
import sys

from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters


async def main(mode, target, binary, spool):
    server = StdioServerParameters(command=binary, args=["--spool", spool, "--workers", "2"]) if target == "stdio" else target
    seen = {}
    async with Client(server, mode=mode) as client:
        seen["version"] = client.session.protocol_version
        seen["tools"] = [t.name for t in (await client.list_tools()).tools]
        run = await client.call_tool("run", {"command": "echo hello; exit 3"})
        seen["run"] = {"isError": run.is_error, "state": run.structured_content["state"],
                       "exitCode": run.structured_content["exitCode"], "stdout": run.structured_content["stdout"]}
        started = await client.call_tool("start", {"command": "sleep 0.2; echo bg"})
        job = started.structured_content["job"]
        waited = await client.call_tool("wait", {"jobs": [job]})
        seen["wait"] = waited.structured_content["jobs"][0]["state"]
        output = await client.call_tool("output", {"job": job})
        seen["output"] = output.structured_content["data"]
        long = await client.call_tool("start", {"command": "sleep 30"})
        cancelled = await client.call_tool("cancel", {"job": long.structured_content["job"]})
        seen["cancel"] = cancelled.structured_content["state"]
        # A terminal: a REPL driven with data and keys, read as a screen (each look waits
        # for 300 ms of quiet; a loaded machine may need a few looks).
        term = await client.call_tool("start", {"command": "python3 -q", "tty": True, "priority": "sync"})
        tjob = term.structured_content["job"]
        await client.call_tool("screen", {"job": tjob})
        await client.call_tool("send_input", {"job": tjob, "data": "1+1", "keys": ["Enter"]})
        look = {}
        for _ in range(40):
            look = (await client.call_tool("screen", {"job": tjob})).structured_content
            if "2" in look["lines"] and look["state"] == "awaiting_input":
                break
        seen["screen"] = {"state": look["state"], "lines": look["lines"][:3]}
        await client.call_tool("send_input", {"job": tjob, "keys": ["Ctrl-D"]})
        resources = await client.list_resources()
        seen["resources"] = any(r.uri == f"spool://jobs/{job}/stdout" for r in resources.resources)
        read = await client.read_resource(f"spool://jobs/{job}/stdout")
        seen["read"] = read.contents[0].text
        try:
            await client.read_resource("spool://jobs/01JAAAAAAAAAAAAAAAAAAAAAAA/stdout")
            seen["missing"] = None
        except Exception as error:  # the client raises MCPError with the server's code
            seen["missing"] = getattr(getattr(error, "error", None), "code", str(error))
    print(json.dumps(seen))


asyncio.run(main(*sys.argv[1:5]))
