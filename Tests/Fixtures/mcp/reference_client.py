"""Drives `stomper mcp` with the Python reference MCP client; prints one JSON line of facts.

Usage: reference_client.py STOMPER REPOSITORY
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(stomper: str, repository: str) -> dict:
    parameters = StdioServerParameters(command=stomper, args=["mcp", "-C", repository])
    facts: dict = {}
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            initialized = await session.initialize()
            facts["server"] = initialized.server_info.name
            listed = await session.list_tools()
            facts["tools"] = sorted(tool.name for tool in listed.tools)
            check = await session.call_tool("check", {})
            assert not check.is_error, check
            facts["check_files"] = len(check.structured_content["files"])
            claim = await session.call_tool("claim", {"paths": ["notes.txt"], "holder": "python"})
            assert not claim.is_error, claim
            token = claim.structured_content["leases"][0]["token"]
            written = await session.call_tool("write_file", {"path": "notes.txt", "content": "value = 1\n", "token": token})
            assert not written.is_error, written
            with open(f"{repository}/notes.txt", encoding="utf-8") as handle:
                facts["written"] = handle.read()
            released = await session.call_tool("release", {"token": token})
            assert not released.is_error, released
            late = await session.call_tool("write_file", {"path": "notes.txt", "content": "late\n", "token": token})
            assert late.is_error, late
            facts["after_release"] = late.structured_content["error"]["code"]
    return facts


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
