"""An ASGI middleware in front of the service: what BentoML 1.4 does not do for it.

- **Media types.** BentoML picks the body parser from the request's Content-Type:
  ``multipart/form-data`` and ``application/x-www-form-urlencoded`` go to its form parser,
  anything else to JSON. A JSON body sent as multipart makes Starlette's form parser raise
  ``HTTPException(400)``, which BentoML's ``api_endpoint_wrapper`` (``_bentoml_impl/server/
  app.py``) answers with 500. The JSON APIs take JSON only: any other declared media type gets
  415 naming ``application/json`` before BentoML reads the body (none is read as JSON).
- **Encodings.** Nothing in BentoML or Starlette decodes a request body (Starlette's
  ``GZipMiddleware`` compresses answers only). A body sent with ``Content-Encoding: gzip`` is
  decoded here as it arrives, its decoded size bounded (``MAX_BODY``): past the bound the answer
  is 413 at once, the rest never decoded, so a gzip bomb costs no memory. Any other encoding
  gets 415 naming gzip. Every JSON API's body is read here, within that bound.
- **The columnar routes.** ``/predict_batch`` bodies that ``serving.columns.from_json`` takes
  are answered here without a per-film object (the others go on to BentoML, which validates
  them as before); ``/predict_table`` (CSV or Parquet in and out, ``serving.tables``) is
  answered here. Both use the worker's Predictor, which the service registers (``serving.worker``).
- **Single films.** A ``/predict_revenue`` or ``/predict_hit`` body is validated here as the
  ``Film`` BentoML would make of it (``Film.model_validate_json``, what its JSON serde calls)
  and queued on the worker's micro-batcher; a body that fails goes on to BentoML, which answers
  its 400 as before. Measured with wrk (32 connections, 2 workers): a BentoML API answering a
  constant gives ~2,400 requests/s here, and the same constant answered from this middleware
  ~13,000: BentoML's route (its request context, IO descriptor, argument binding and Response)
  cost more than the models' share of a micro-batch. Its outer middlewares (metrics, timeout,
  tracing) still see every request.
- **Error bodies.** BentoML's 400 says ``"1 validation error for FilmIODescriptor"``, an
  internal class; it is rewritten to name the request body.
- /docs.json is BentoML's document rewritten by ``serving.openapi.openapi30_document``.

``install_contract(service)`` adds it with BentoML's ``Service.add_asgi_middleware``; it reads
the API routes from the service, so APIs added later are covered.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from boxoffice.csvtext import GZIP_MAGIC
from serving import jsonio
from serving.openapi import JSON, ErrorDetail, RequestError, openapi30_document
from serving.worker import WORKER

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIB = 2**20
# The largest decoded body: a JSON API's (10,000 of the dataset's largest films are ~19 MiB),
# and a table's (100,000 films as CSV are ~40 MiB).
MAX_BODY = {"json": 32 * MIB, "table": 192 * MIB}
ENCODINGS = ("gzip", "x-gzip")
TABLE_ROUTE = "/predict_table"
HEALTH_ROUTE, READY_ROUTE = "/health", "/readyz"
BATCH_ROUTE = "/predict_batch"
logger = logging.getLogger("boxoffice.http")


def media_type(content_type: str) -> str:
    """'Application/JSON; charset=utf-8' -> 'application/json'."""
    return content_type.split(";", 1)[0].strip().lower()


def error_body(error: str, kind: str, loc: list[str | int], msg: str) -> dict[str, Any]:
    """A 4xx body with one problem, in the shape of a 400's."""
    return RequestError(error=error, detail=[ErrorDetail(type=kind, loc=loc, msg=msg)]).model_dump(
        exclude_none=True
    )


def unsupported_media_type(content_type: str, accepted: str = JSON) -> dict[str, Any]:
    """The 415 body: the same shape as a 400's, naming the type the API accepts."""
    shown = content_type if len(content_type) <= 80 else content_type[:80] + "…"
    return error_body(
        f"Unsupported Media Type: send the body as {accepted}",
        "unsupported_media_type",
        ["header", "content-type"],
        f"Content-Type {shown!r} is not accepted: send the body as {accepted}",
    )


class BodyProblem(Exception):
    """A body this API cannot read: answered with ``status`` and ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"])
        self.status, self.body = status, body


def in_utf8(body: bytes, content_type: str, accepted: str, kind: str = "invalid_body") -> bytes:
    """The body in UTF-8: decoded from the ``charset`` its Content-Type names (a spreadsheet's
    ``windows-1252``, a client's ``latin-1``); as it is without one. BodyProblem: 415 for a
    charset Python does not know, 400 (``kind``) for a body that is not text in it."""
    charset = ""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if not charset or charset in ("utf-8", "utf8"):
        return body
    try:
        return body.decode(charset).encode()
    except LookupError:
        raise BodyProblem(
            415, unsupported_media_type(content_type, f"{accepted} in a charset Python knows")
        ) from None
    except UnicodeError as error:  # not text in that charset (punycode, idna: UnicodeError)
        where = f" ({error.reason} at byte {error.start})" if hasattr(error, "start") else ""
        said = f"the body is not {charset[:40]} text{where}"
        raise BodyProblem(400, error_body("Bad Request: " + said, kind, ["body"], said)) from None


def _too_large(limit: int) -> BodyProblem:
    return BodyProblem(
        413,
        error_body(
            "Payload Too Large",
            "body_too_large",
            ["body"],
            f"the request body, decoded, is over {limit // MIB} MiB",
        ),
    )


def _not_gzip(why: str) -> BodyProblem:
    return BodyProblem(
        400,
        error_body(
            "Bad Request: the body is not gzip",
            "invalid_gzip",
            ["body"],
            f"Content-Encoding: gzip, but {why}",
        ),
    )


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, decoded when sent gzip-encoded, at most ``limit`` bytes decoded;
    BodyProblem (413, 415, 400) otherwise. A body past the limit is not read further."""
    encoding = _header(scope, b"content-encoding").strip().lower()
    if encoding not in ("", "identity", *ENCODINGS):
        raise BodyProblem(
            415,
            error_body(
                "Unsupported Media Type: send the body as it is, or gzip-encoded",
                "unsupported_encoding",
                ["header", "content-encoding"],
                f"Content-Encoding {encoding[:40]!r} is not accepted: send the body as it is "
                "or with Content-Encoding: gzip",
            ),
        )
    decoder = zlib.decompressobj(wbits=31) if encoding in ENCODINGS else None
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyProblem(400, error_body("Bad Request", "disconnect", ["body"], "no body"))
        chunk = message.get("body", b"")
        if decoder is None:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            parts.append(chunk)
        else:
            try:
                while chunk:
                    out = decoder.decompress(chunk, limit - size + 1)
                    size += len(out)
                    if size > limit:
                        raise _too_large(limit)
                    parts.append(out)
                    chunk = decoder.unconsumed_tail
                    # Another gzip member may follow (RFC 1952: a body may hold several, as
                    # `cat a.gz b.gz` makes them), and zero bytes may pad them: decoded as
                    # gunzip (and Python's gzip) decodes it.
                    rest = decoder.unused_data.lstrip(b"\0") if decoder.eof else b""
                    if rest:
                        chunk, decoder = rest, zlib.decompressobj(wbits=31)
            except zlib.error as error:
                raise _not_gzip(f"the body does not decode ({error})") from None
        if not message.get("more_body", False):
            break
    if decoder is not None and not decoder.eof:
        raise _not_gzip("the gzip stream ends early")
    body = b"".join(parts)
    if decoder is None and body.startswith(GZIP_MAGIC):
        raise BodyProblem(
            400,
            error_body(
                "Bad Request: the body is gzip-compressed: send it with Content-Encoding: gzip",
                "undeclared_encoding",
                ["header", "content-encoding"],
                "the body starts as gzip does: say so with Content-Encoding: gzip",
            ),
        )
    return body


def _replay(scope: Scope, body: bytes) -> tuple[Scope, Receive]:
    """The request again, with ``body`` (decoded) and no Content-Encoding, for the app."""
    headers = [
        (key, value)
        for key, value in scope["headers"]
        if key.lower() not in (b"content-encoding", b"content-length")
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return {**scope, "headers": headers}, receive


class ContractMiddleware:
    """See the module."""

    def __init__(
        self,
        app: ASGIApp,
        api_paths: Iterable[str],
        docs_path: str = "/docs.json",
        prefix: str = "",
        server: str = "",
    ) -> None:
        self.app = app
        # BentoML names itself in every answer of its routes; the answers made here do too.
        self.server = (b"server", server.encode("latin-1")) if server else None
        self.api_paths = frozenset(api_paths)
        self.docs_path = docs_path
        self.batch_path = prefix + BATCH_ROUTE
        self.table_path = prefix + TABLE_ROUTE
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.server:
            send = _named(send, self.server)
        path, method = scope["path"], scope["method"]
        if path == self.table_path:
            if method == "POST":
                await self._table(scope, receive, send)
            else:  # as BentoML answers a method its APIs do not take
                await _drain(receive)
                body = error_body(
                    "Method Not Allowed", "method_not_allowed", [], f"{method[:20]}: use POST"
                )
                await _send_bytes(send, 405, json.dumps(body).encode(), JSON, [(b"allow", b"POST")])
            return
        if method in ("GET", "HEAD") and path == self.docs_path:
            await self._docs(scope, receive, send)
            return
        if method in ("GET", "HEAD") and path == HEALTH_ROUTE:
            # The original project's Kubernetes probes asked GET /health: answered as /readyz.
            scope = {**scope, "path": READY_ROUTE, "raw_path": READY_ROUTE.encode()}
        if method != "POST" or path not in self.api_paths:
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type")
        if content_type and media_type(content_type) != JSON:
            await _drain(receive)
            refused = unsupported_media_type(content_type)
            _log_refusal(method, path, 415, refused)
            await _send_json(send, 415, refused)
            return
        batch = path == self.batch_path and WORKER.predictor is not None
        single = WORKER.single.get(path.removeprefix(self.prefix).lstrip("/"))
        # Every JSON API's body is read here, so that each is bounded (BentoML reads a body
        # whole, whatever its size: a 200 MiB slate body was read and answered) and a gzip body
        # sent without saying so is named alike on every route.
        try:
            body = in_utf8(await read_body(scope, receive, MAX_BODY["json"]), content_type, JSON)
        except BodyProblem as problem:
            _log_refusal(method, path, problem.status, problem.body)
            await _send_json(send, problem.status, problem.body)
            return
        if batch and await self._fast_batch(body, send):
            return
        if single and await _fast_single(single, body, send):
            return
        scope, receive = _replay(scope, body)
        await self.app(scope, receive, _ErrorText(send))

    async def _fast_batch(self, body: bytes, send: Send) -> bool:
        """Answer a /predict_batch body the columnar path takes; False to let BentoML
        validate it (and answer its 400s)."""
        answer = await WORKER.predictor.batch_from_json(body)
        if answer is None:
            return False
        await _send_bytes(send, 200, answer, JSON)
        return True

    async def _table(self, scope: Scope, receive: Receive, send: Send) -> None:
        from serving import tables

        try:
            content_type = _header(scope, b"content-type")
            kind = tables.request_format(content_type)
            body = await read_body(scope, receive, MAX_BODY["table"])
            if WORKER.predictor is None:
                raise BodyProblem(
                    503, error_body("Service Unavailable", "not_ready", [], "models not loaded")
                )
            answer, media = await tables.answer(
                WORKER.predictor, body, kind, _header(scope, b"accept"), content_type
            )
        except BodyProblem as problem:
            _log_refusal("POST", scope["path"], problem.status, problem.body)
            await _send_json(send, problem.status, problem.body)
            return
        except Exception:  # the service's fault: its traceback logged, a JSON 500 answered
            logger.exception("POST %s failed", scope["path"])
            body = error_body("Internal Server Error", "internal_error", [], "the table failed")
            await _send_json(send, 500, body)
            return
        await _send_bytes(send, 200, answer, media)

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
        from serving import tables

        document = tables.add_to_document(
            openapi30_document(json.loads(b"".join(chunks)), MAX_BODY["json"] // MIB)
        )
        await _send_json(send, 200, document)


async def _fast_single(queue: Any, body: bytes, send: Send) -> bool:
    """Answer a single-film body that validates as a Film; False to let BentoML validate it
    (and answer its 400)."""
    from serving.schema import Film

    try:  # what BentoML's JSON serde does with the body (_bentoml_impl/serde.py)
        film = Film.model_validate_json(body or b"{}")
    except ValueError:  # pydantic's ValidationError
        return False
    answer = await queue.submit(film)
    await _send_bytes(send, 200, jsonio.dumps(answer), JSON)
    return True


class _ErrorText:
    """Passes an answer on; a 400's ``error`` naming BentoML's internal IO class is rewritten
    to name the request body (the ``detail`` is kept as it is)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 400:
            self.start = message
            return
        if self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self.chunks)
        try:
            payload = json.loads(body)
            error = payload["error"]
            if isinstance(error, str) and " for " in error and "validation error" in error:
                count = error.split(" ", 1)[0]
                noun = "validation error" if count == "1" else "validation errors"
                payload["error"] = f"{count} {noun} in the request body"
                body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        except (ValueError, KeyError, TypeError):
            pass
        headers = [
            (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
            for k, v in self.start["headers"]
        ]
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


def _log_refusal(method: str, path: str, status: int, body: dict[str, Any]) -> None:
    """One line: the path, the status and the first ``loc``; where that is the whole body (a
    table that is not one, an encoding), the first words of the reason too."""
    detail = body.get("detail") or [{}]
    loc = ".".join(str(p) for p in detail[0].get("loc", []))
    said = loc
    if loc in ("", "body"):
        reason = str(body.get("error", "")).removeprefix("Bad Request: ")[:160]
        said = f"{loc}: {reason}" if loc and reason else loc or reason
    logger.info("%s %s %d: %s", method, _one_line(path), status, _one_line(said))


def _one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line of at most ``limit`` characters, a character that is not printable
    (a newline in a body's key, which would forge a log line) written as its escape."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class QuietClientErrors(logging.Filter):
    """BentoML logs every 400 with a traceback (``api_endpoint_wrapper`` calls
    ``log_exception`` for each pydantic ValidationError and each 4xx BentoMLException): a
    client's mistake, not the service's. Such a record becomes one INFO line with the path,
    the status and the first ``loc``; a 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        status = _client_status(error)
        if status is None:
            return True
        path, method = (
            (record.args or ("?", "?"))[:2] if isinstance(record.args, tuple) else ("?", "?")
        )
        record.msg = "%s %s %d: %s"
        record.args = (method, path, status, _first_loc(error))
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _client_status(error: BaseException) -> int | None:
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        return 400
    code = getattr(getattr(error, "error_code", None), "value", None)
    if isinstance(code, int) and 400 <= code < 500:
        return code
    return None


def _first_loc(error: BaseException) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            first = errors(include_context=False, include_input=False)[0]
        except (IndexError, TypeError):
            return type(error).__name__
        return ".".join(str(p) for p in first.get("loc", ())) or first.get("msg", "")[:80]
    return str(error)[:120]


BENTOML_HTTP_LOGGER = "bentoml._internal.server.http_app"


def quiet_client_errors() -> None:
    """Install ``QuietClientErrors`` on the logger BentoML's 400 tracebacks go through."""
    log = logging.getLogger(BENTOML_HTTP_LOGGER)
    if not any(isinstance(f, QuietClientErrors) for f in log.filters):
        log.addFilter(QuietClientErrors())
    # The refusals answered here say their line at the level BentoML's own loggers have (INFO,
    # ERROR with --quiet): the server's root logger is at WARNING, which would drop them.
    # Set on "boxoffice", so that the service's own lines (boxoffice.service) share it.
    logging.getLogger("boxoffice").setLevel(logging.getLogger("bentoml").getEffectiveLevel())


def _named(send: Send, server: tuple[bytes, bytes]) -> Send:
    """``send`` adding the server header to an answer that has none."""

    async def named(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            if all(key.lower() != b"server" for key, _ in headers):
                message = {**message, "headers": [*headers, server]}
        await send(message)

    return named


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


async def _send_bytes(
    send: Send, status: int, body: bytes, media: str, extra: list[tuple[bytes, bytes]] = ()
) -> None:
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]
    headers += list(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    await _send_bytes(send, status, body, JSON)


def _join(prefix: str | None, path: str) -> str:
    return "/" + "/".join(part.strip("/") for part in (prefix or "", path) if part.strip("/"))


def install_contract(service: Any) -> None:
    """Put ContractMiddleware in front of a BentoML service's APIs and its /docs.json, and
    quiet the tracebacks of client errors."""
    api_paths = set()
    for api in service.apis.values():
        route = _join(service.path_prefix, api.route)
        api_paths.add(route)
        if api.is_task:  # a task API takes its body at /submit
            api_paths.add(route + "/submit")
    prefix = _join(service.path_prefix, "").rstrip("/")
    service.add_asgi_middleware(
        ContractMiddleware,
        api_paths=sorted(api_paths),
        docs_path=_join(service.path_prefix, "docs.json"),
        prefix=prefix,
        server=f"BentoML Service/{service.name}",
    )
    quiet_client_errors()
