"""The CSP is built from the inline scripts of the built pages, hashed the way browsers hash them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from lumiere.web.security_headers import SecurityHeaders, content_security_policy, inline_script_hashes

# The hash Chromium asked for when it blocked the inline script `window.x = 1` under our CSP.
CHROMIUM_HASH = "'sha256-TRQHTtKk2Jz9TNrGZb+BnTJZb+vLVfeW/a0aaZ7avUM='"


def test_inline_scripts_are_hashed_and_external_ones_skipped():
    html = '<p><script>window.x = 1</script><script src="/assets/a.js"></script><SCRIPT type=module>b()</SCRIPT>'
    hashes = inline_script_hashes(html)
    assert CHROMIUM_HASH in hashes and len(hashes) == 2
    assert inline_script_hashes('<script src="/a.js"></script>') == set()


def test_policy_allows_hashes_not_inline_scripts():
    policy = content_security_policy({CHROMIUM_HASH}, "'none'")
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"] == f"'self' 'unsafe-eval' {CHROMIUM_HASH}"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["connect-src"] == "'self'" and directives["default-src"] == "'self'"


def _response_headers(headers: SecurityHeaders) -> dict[str, str]:
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-frame-options", b"SAMEORIGIN")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    async def respond() -> None:
        await headers.wrap(app)({"type": "http", "path": "/"}, receive, send)

    asyncio.run(respond())
    return {name.decode(): value.decode() for name, value in sent[0]["headers"]}


def test_a_new_build_updates_the_hashes_and_a_response_keeps_its_own_headers(tmp_path: Path):
    (tmp_path / "index.html").write_text("<script>window.x = 1</script>")
    headers = SecurityHeaders(tmp_path)
    first = _response_headers(headers)
    assert CHROMIUM_HASH in first["content-security-policy"]
    assert first["x-frame-options"] == "SAMEORIGIN"  # set by the app itself, not overwritten
    assert first["x-content-type-options"] == "nosniff"

    (tmp_path / "login").mkdir()
    (tmp_path / "login" / "index.html").write_text("<script>rebuilt()</script>")
    (tmp_path / "index.html").write_text("<p>no scripts</p>")
    stamp = (tmp_path / "index.html").stat().st_mtime + 5
    os.utime(tmp_path / "index.html", (stamp, stamp))
    rebuilt = _response_headers(headers)["content-security-policy"]
    assert CHROMIUM_HASH not in rebuilt and inline_script_hashes("<script>rebuilt()</script>").pop() in rebuilt
