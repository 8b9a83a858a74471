"""A small HTTP client of the labelling API (standard library only), for scripts and tests.

It behaves like the page: it opens a session (cookie), sends the CSRF token on every
POST and a fresh ``client_id`` with every answer, so a retried answer is stored once.
"""

from __future__ import annotations

import http.client
import json
import secrets
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from rcsim_env.errors import RCSimError


def wait_until_ready(base_url: str, timeout: float = 30.0) -> None:
    """Return once ``base_url`` + ``healthz`` answers 200; raise TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base_url.rstrip("/") + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the labelling server at {base_url} did not answer within {timeout} s")
        time.sleep(0.05)


class LabelClientError(RCSimError):
    """The server refused a request (``status`` is the HTTP status, the message its explanation)."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class LabelClient:
    """Talks to a labelling server at ``base_url`` (``http://127.0.0.1:8765/``) as one annotator.

    Args:
        base_url: the server's address.
        token: the access token, when the server has one.
        timeout: seconds to wait for each response.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"base_url must be an http:// address, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.token = token
        self.timeout = float(timeout)
        self.cookie: str | None = None
        self.csrf_token: str | None = None

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
        """Send one request; returns ``(status, parsed JSON or text)``. Raises OSError when unreachable."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            sent = {} if headers is None else dict(headers)
            if self.cookie:
                sent.setdefault("Cookie", self.cookie)
            if self.token:
                sent.setdefault("Authorization", f"Bearer {self.token}")
            data = None
            if body is not None:
                data = json.dumps(body).encode("utf-8")
                sent.setdefault("Content-Type", "application/json")
            if method != "GET" and self.csrf_token:
                sent.setdefault("X-CSRF-Token", self.csrf_token)
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            raw = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    self.cookie = value.split(";", 1)[0]
            kind = response.getheader("Content-Type", "")
            payload: Any = json.loads(raw) if "json" in kind and raw else raw.decode("utf-8", "replace")
            return response.status, payload
        finally:
            connection.close()

    def _checked(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        status, payload = self.request(method, path, body)
        if status >= 400:
            message = payload.get("error", "") if isinstance(payload, dict) else str(payload)
            raise LabelClientError(status, message)
        return payload

    def open_session(self) -> dict[str, Any]:
        """Start a session (stores the cookie and CSRF token); returns the session JSON."""
        data = self._checked("GET", "/api/session")
        self.csrf_token = data["csrf_token"]
        return data

    def set_annotator(self, name: str) -> dict[str, Any]:
        """Name the annotator (opens a session first when needed)."""
        if self.csrf_token is None:
            self.open_session()
        return self._checked("POST", "/api/session", {"annotator": name})

    def next_item(self) -> dict[str, Any] | None:
        """The next pair for this annotator (``pair_id``, ``request_id``, sentences), or None."""
        return self._checked("POST", "/api/next", {})["item"]

    def answer(
        self,
        pair_id: int,
        score: float | None = None,
        skip: bool = False,
        request_id: int | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """Send an answer (a fresh ``client_id`` unless given); returns the server's reply."""
        body: dict[str, Any] = {"pair_id": pair_id, "request_id": request_id}
        body["client_id"] = client_id or secrets.token_hex(16)
        if skip:
            body["skip"] = True
        else:
            body["score"] = score
        return self._checked("POST", "/api/judgements", body)

    def undo(self) -> dict[str, Any]:
        """Retract this annotator's latest answer; returns the server's reply."""
        return self._checked("POST", "/api/undo", {})

    def progress(self) -> dict[str, Any]:
        """The progress counts."""
        return self._checked("GET", "/api/progress")
