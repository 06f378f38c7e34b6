"""An ASGI middleware in front of the service: JSON-only request bodies, a valid /docs.json.

BentoML 1.4 picks the body parser from the request's Content-Type: ``multipart/form-data`` and
``application/x-www-form-urlencoded`` go to its form parser, anything else to JSON. A JSON body
sent as multipart makes Starlette's form parser raise ``HTTPException(400)``, which BentoML's
``api_endpoint_wrapper`` (``_bentoml_impl/server/app.py``) does not expect and answers with 500;
a form body is read as fields named after its raw text. The APIs take JSON only: any other
declared media type gets 415 naming ``application/json`` before BentoML reads the body. A body
without a Content-Type is read as JSON, as BentoML does.

/docs.json is BentoML's document rewritten by ``serving.openapi.openapi30_document``.

``install_contract(service)`` adds it with BentoML's ``Service.add_asgi_middleware``; it reads
the API routes from the service, so APIs added later are covered.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from serving.openapi import JSON, ErrorDetail, RequestError, openapi30_document

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def media_type(content_type: str) -> str:
    """'Application/JSON; charset=utf-8' -> 'application/json'."""
    return content_type.split(";", 1)[0].strip().lower()


def unsupported_media_type(content_type: str) -> dict[str, Any]:
    """The 415 body: the same shape as a 400's, naming the type the APIs accept."""
    shown = content_type if len(content_type) <= 80 else content_type[:80] + "…"
    return RequestError(
        error=f"Unsupported Media Type: send the body as {JSON}",
        detail=[
            ErrorDetail(
                type="unsupported_media_type",
                loc=["header", "content-type"],
                msg=f"Content-Type {shown!r} is not accepted: the body must be JSON, "
                f"sent with Content-Type: {JSON}",
            )
        ],
    ).model_dump(exclude_none=True)


class ContractMiddleware:
    """415 for a body the APIs cannot read as JSON; /docs.json as valid OpenAPI 3.0."""

    def __init__(
        self, app: ASGIApp, api_paths: Iterable[str], docs_path: str = "/docs.json"
    ) -> None:
        self.app = app
        self.api_paths = frozenset(api_paths)
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "POST" and scope["path"] in self.api_paths:
                content_type = _header(scope, b"content-type")
                if content_type and media_type(content_type) != JSON:
                    await _drain(receive)
                    await _send_json(send, 415, unsupported_media_type(content_type))
                    return
            elif scope["method"] in ("GET", "HEAD") and scope["path"] == self.docs_path:
                await self._docs(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        await self.app(scope, receive, keep)
        if start.get("status") != 200:  # BentoML's own error answer, passed on as it is
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks)})
            return
        document = openapi30_document(json.loads(b"".join(chunks)))
        await _send_json(send, 200, document)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


async def _drain(receive: Receive) -> None:
    """Read the body we refuse, so the connection stays usable for the client's next request."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _send_json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _join(prefix: str | None, path: str) -> str:
    return "/" + "/".join(part.strip("/") for part in (prefix or "", path) if part.strip("/"))


def install_contract(service: Any) -> None:
    """Put ContractMiddleware in front of a BentoML service's APIs and its /docs.json."""
    api_paths = set()
    for api in service.apis.values():
        route = _join(service.path_prefix, api.route)
        api_paths.add(route)
        if api.is_task:  # a task API takes its body at /submit
            api_paths.add(route + "/submit")
    service.add_asgi_middleware(
        ContractMiddleware,
        api_paths=sorted(api_paths),
        docs_path=_join(service.path_prefix, "docs.json"),
    )
