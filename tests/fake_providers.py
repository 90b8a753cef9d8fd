"""OpenAI-compatible and Anthropic chat servers on loopback that fail on request.

A raw asyncio HTTP/1.1 server, not an ASGI app, because some faults cannot be produced by a
well-behaved framework: a response cut off halfway through its body, or a request that is read
and never answered. Each request takes the next fault from a queue (or from ``fault_for`` when
set); with none left it answers with JSON for the requested schema, in the provider's shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .apptools import free_port

FAULTS = ("429", "401", "500", "529", "hang", "cut")


@dataclass
class FakeProvider:
    kind: str  # "openai" | "anthropic"
    answer: dict[str, Any]
    faults: list[str] = field(default_factory=list)
    fault_for: Callable[[int], str | None] | None = None
    retry_after: str = "1"
    hang_s: float = 30.0
    requests: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)  # (time, path, body)
    headers: list[dict[str, str]] = field(default_factory=list)

    def _next_fault(self) -> str | None:
        if self.fault_for is not None:
            return self.fault_for(len(self.requests))
        return self.faults.pop(0) if self.faults else None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:] if ":" in x)}
                body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))) or b"{}")
                self.requests.append((time.monotonic(), path, body))
                self.headers.append(headers)
                fault = self._next_fault()
                if fault == "hang":
                    await asyncio.sleep(self.hang_s)
                    return
                if fault == "cut":
                    payload = json.dumps(self._success(body)).encode()
                    writer.write(self._head(200, len(payload)) + payload[: len(payload) // 2])
                    await writer.drain()
                    return  # the connection closes with half the body sent
                status, payload = (int(fault), self._error(int(fault))) if fault else (200, self._success(body))
                data = json.dumps(payload).encode()
                extra = {"retry-after": self.retry_after} if status == 429 else {}
                writer.write(self._head(status, len(data), extra) + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError, asyncio.CancelledError):
            pass  # the client went away, or the fake is shutting down
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    def _head(status: int, length: int, extra: dict[str, str] | None = None) -> bytes:
        lines = [f"HTTP/1.1 {status} X", "content-type: application/json", f"content-length: {length}"]
        lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _error(self, status: int) -> dict[str, Any]:
        kinds = {401: "authentication_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
        if self.kind == "anthropic":
            return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": f"fault {status}"}}
        return {"error": {"message": f"fault {status}", "type": kinds.get(status, "api_error"), "code": None}}

    def _success(self, body: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(self.answer, ensure_ascii=False)
        if self.kind == "anthropic":
            tools = body.get("tools") or []
            content: list[dict[str, Any]] = (
                [{"type": "tool_use", "id": "toolu_1", "name": tools[0]["name"], "input": self.answer}]
                if tools
                else [{"type": "text", "text": text}]
            )
            return {
                "id": f"msg_{len(self.requests)}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model"),
                "content": content,
                "stop_reason": "tool_use" if tools else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 10},
            }
        return openai_completion(body, self.answer, len(self.requests))


def openai_completion(body: dict[str, Any], answer: dict[str, Any], n: int) -> dict[str, Any]:
    """A chat completion answering ``body`` with ``answer``: as a tool call when tools were sent
    (langchain's structured output), else as JSON content."""
    text = json.dumps(answer, ensure_ascii=False)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}],
        }
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@contextlib.contextmanager
def serve(provider: FakeProvider) -> Iterator[str]:
    """Run the fake on a loopback port in its own thread; yields the base URL its SDK expects."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    server: list[asyncio.base_events.Server] = []

    async def main() -> None:
        server.append(await asyncio.start_server(provider.handle, "127.0.0.1", port))
        started.set()

    def run() -> None:
        loop.run_until_complete(main())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield f"http://127.0.0.1:{port}" + ("/v1" if provider.kind == "openai" else "")
    finally:

        async def stop() -> None:
            server[0].close()
            for task in asyncio.all_tasks(loop):
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
