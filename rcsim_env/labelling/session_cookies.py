"""Session cookies that cost nothing until someone starts labelling.

Opening the page (or ``GET /api/session``) gives the browser a *signed* cookie,
``ID.SIGNATURE``: a random id and an HMAC-SHA256 of it (and of the access-token
fingerprint, so a new token invalidates it) under a key kept in the label store. The
server writes nothing for it. Its CSRF token is derived from the cookie with the same key,
so the page can send it and a POST can be checked without a stored row. The session gets
its row in the ``sessions`` table (same id, same CSRF token) when the person types a name,
so a page that is only looked at, or a script that sends many cookieless GETs, leaves
nothing in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from rcsim_env.labelling.store import Session

COOKIE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}(\.[A-Za-z0-9_-]{43})?")
"""Every cookie value this server hands out: a stored session's id, or ``ID.SIGNATURE``."""


def _mac(key: bytes, *parts: str) -> str:
    digest = hmac.new(key, "\x1f".join(parts).encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class SessionCookies:
    """Makes and checks the signed cookies of sessions not stored yet.

    Args:
        key: the signing key (:meth:`rcsim_env.labelling.store.LabelStore.page_secret`).
        auth: the access-token fingerprint every session of this server carries (None without a token).
    """

    def __init__(self, key: bytes, auth: str | None):
        if len(key) < 16:
            raise ValueError("the session signing key must be at least 16 bytes")
        self._key = key
        self.auth = auth

    def new(self) -> Session:
        """A new, not yet stored session: a fresh signed cookie and its CSRF token."""
        session_id = secrets.token_urlsafe(24)
        return self._session(f"{session_id}.{self._signature(session_id)}")

    def unsaved(self, cookie: str) -> Session | None:
        """The not-yet-stored session a well-formed, correctly signed ``cookie`` stands for, else None."""
        if not COOKIE_PATTERN.fullmatch(cookie) or "." not in cookie:
            return None
        session_id, signature = cookie.split(".", 1)
        if not hmac.compare_digest(signature, self._signature(session_id)):
            return None
        return self._session(cookie)

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token of the session whose cookie is ``cookie`` (kept when the session is stored)."""
        return _mac(self._key, "csrf", cookie)

    def _signature(self, session_id: str) -> str:
        return _mac(self._key, "session", session_id, self.auth or "")

    def _session(self, cookie: str) -> Session:
        return Session(cookie, None, self.csrf_token(cookie), self.auth, saved=False)
