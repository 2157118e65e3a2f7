"""An idle deadline on request bodies the pages send (Reflex's `/_upload`).

A client that opens an upload and then stops sending holds a connection, a request task and the
staged part of its file for as long as the socket stays open; Granian only bounds how long the
headers may take. Reflex's upload endpoint reads the body with no deadline of its own, so this
wrapper gives every `receive()` of a body the upload idle timeout: past it the request is told the
client went away (`http.disconnect`), which Reflex treats as a dropped upload — the handler is
cancelled and the staged part deleted. Once the whole body has arrived, `receive()` only waits for a
disconnect (a streaming response listens for one) and has no deadline. The API's own upload route
keeps its 408 with a message, so only the pages are wrapped.
"""

from __future__ import annotations

import asyncio
import logging

from lumiere.config import get_settings
from lumiere.web.security_headers import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def with_body_idle_timeout(app: ASGIApp) -> ASGIApp:
    """`app` with `LUMIERE_UPLOAD_IDLE_TIMEOUT_S` between the parts of every request body; a request
    dropped for it is answered 408 with a message, whatever the app answers a vanished client."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await app(scope, receive, send)
            return
        timeout_s = get_settings().upload_idle_timeout_s
        body_complete = False
        timed_out = False
        replaced = False

        async def receive_within_deadline() -> Message:
            nonlocal body_complete, timed_out
            if body_complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout_s)
            except TimeoutError:
                log.warning("dropped a request to %s: no body data for %g s", scope.get("path"), timeout_s)
                body_complete = timed_out = True
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        async def send_or_timeout(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the app's own answer to a client it thinks is gone
            if timed_out and message["type"] == "http.response.start":  # not once a response is under way
                replaced = True
                detail = (f"The upload stalled: no data arrived for {timeout_s:g} s. "
                          "Check the connection and upload the file again.").encode()
                await send({"type": "http.response.start", "status": 408,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(detail)).encode()),
                                        (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": detail})
                return
            await send(message)

        await app(scope, receive_within_deadline, send_or_timeout)

    return guarded
