"""The key that signs every link the workbench hands out (share links, workshop join and participant links),
and signing/verifying a small JSON payload for one purpose.

The key is `RM_LINK_SECRET` when set (every replica must share it), else a random key kept in
`$RM_HOME/link_secret`, created once with mode 0600. Each purpose salts the signature, so a token made for one
purpose (say, a workshop join link) never verifies as another (a share link).
"""
from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from rm_core.settings import Settings, get_settings

SECRET_FILE = "link_secret"
_KEYS: dict[tuple[str, str | None], bytes] = {}
_LOCK = threading.Lock()


def _read_or_create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if len(value) < 32:
            raise OSError(f"{path} holds no usable key; delete it (every link made so far stops working) or set "
                          "RM_LINK_SECRET") from None
        return value.encode()
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value.encode()


def link_key(settings: Settings | None = None) -> bytes:
    settings = settings or get_settings()
    cache_key = (str(settings.home), settings.link_secret)
    with _LOCK:
        if cache_key not in _KEYS:
            _KEYS[cache_key] = (settings.link_secret.encode() if settings.link_secret
                                else _read_or_create(settings.home / SECRET_FILE))
        return _KEYS[cache_key]


def sign(purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe token carrying `payload`, signed for `purpose` (deterministic: same payload, same token)."""
    return URLSafeSerializer(link_key(), salt=purpose).dumps(payload)


def verify(purpose: str, token: str | None) -> dict[str, Any] | None:
    """The payload of a token signed for `purpose`, or None when it is missing, malformed, altered or made for
    another purpose."""
    if not token or len(token) > 4096:
        return None
    try:
        payload = URLSafeSerializer(link_key(), salt=purpose).loads(token.strip())
    except BadSignature:
        return None
    return payload if isinstance(payload, dict) else None
