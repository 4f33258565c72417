"""How a visitor is recognised: the `[auth]` (OIDC) section of Streamlit's secrets, validated before anything is
served, and the rule for the no-sign-in mode (only the machine's own user, on loopback, unproxied)."""
from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from rm_core.errors import UserError

PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
# Headers a reverse proxy adds. Behind a proxy every connection comes from the proxy's (often local) address, so
# their presence means "not the machine's own user", whatever they say: a forged one can only lower privilege.
PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "X-Real-Ip",
                 "X-Client-Ip", "True-Client-Ip", "Cf-Connecting-Ip", "X-Original-Forwarded-For")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
MIN_COOKIE_SECRET = 16


@dataclass(frozen=True)
class AuthConfig:
    """A valid `[auth]` section: the providers to offer (`"default"` for a flat section) and where from."""

    providers: tuple[str, ...]
    redirect_uri: str
    source: str


def read_secrets(paths: Iterable[str | Path]) -> tuple[dict, list[str]]:
    """Merge the secrets files Streamlit reads (later files win, as in Streamlit); a file that is not valid TOML
    stops start-up with its name and the line, instead of being skipped."""
    merged: dict = {}
    found: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path} is not valid TOML ({exc}); fix it or remove it. Sign-in stays off and nobody "
                            "is let in until it reads.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path} cannot be read ({exc}); fix it or remove it.") from None
        merged.update(data)
        found.append(str(path))
    return merged, found


def auth_config(secrets: Mapping, source: str = "secrets.toml") -> AuthConfig | None:
    """None when there is no `[auth]` section; a UserError naming the key when it is broken or partial."""
    if "auth" not in secrets:
        return None
    auth = secrets["auth"]
    where = f"[auth] in {source}"
    if not isinstance(auth, Mapping):
        raise UserError(f"{where} must be a table of settings, not a {type(auth).__name__}.")
    problems: list[str] = []
    redirect = auth.get("redirect_uri")
    if not isinstance(redirect, str) or not redirect:
        problems.append("redirect_uri is missing (e.g. \"http://localhost:8501/oauth2callback\")")
    else:
        parsed = urlparse(redirect)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or not parsed.path.endswith("/oauth2callback"):
            problems.append(f"redirect_uri {redirect!r} must be an http(s) URL ending in /oauth2callback")
    secret = auth.get("cookie_secret")
    if not isinstance(secret, str) or len(secret) < MIN_COOKIE_SECRET:
        problems.append(f"cookie_secret is missing or shorter than {MIN_COOKIE_SECRET} characters (use a long "
                        "random string, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    named = {k: v for k, v in auth.items() if isinstance(v, Mapping)}
    flat = any(k in auth for k in PROVIDER_KEYS)
    providers: list[str] = []
    if flat:
        problems += _provider_problems("[auth]", auth)
        providers.append("default")
    for name, section in named.items():
        if not any(k in section for k in PROVIDER_KEYS):
            continue  # not a provider (e.g. client_kwargs of the flat provider)
        if "_" in name:
            problems.append(f"provider name [auth.{name}] must not contain '_'")
        problems += _provider_problems(f"[auth.{name}]", section)
        providers.append(name)
    if not providers:
        problems.append("no provider: add client_id, client_secret and server_metadata_url (to [auth] or to an "
                        "[auth.NAME] table)")
    if problems:
        raise UserError(f"{where} is not usable: " + "; ".join(problems) + ". Sign-in is off and nobody is let in "
                        "until it is fixed.")
    try:
        import authlib  # noqa: F401  (Streamlit's st.login needs it)
    except ImportError:
        raise UserError("Sign-in is configured but Authlib is not installed: pip install -r requirements.txt.") \
            from None
    return AuthConfig(tuple(providers), str(redirect), source)


def _provider_problems(where: str, section: Mapping) -> list[str]:
    problems = [f"{where} {key} is missing" for key in PROVIDER_KEYS
                if not isinstance(section.get(key), str) or not section.get(key)]
    url = section.get("server_metadata_url")
    if isinstance(url, str) and url and urlparse(url).scheme not in ("http", "https"):
        problems.append(f"{where} server_metadata_url {url!r} is not an http(s) URL")
    return problems


def is_loopback(address: str | None) -> bool:
    """Whether a bind address (Streamlit's `server.address`) only accepts connections from this machine.
    Unset or empty means every interface."""
    if not address:
        return False
    host = address.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxied(headers: Mapping[str, str]) -> list[str]:
    """The proxy headers present on the connection (case-insensitive)."""
    present = {k.lower() for k in headers.keys()}
    return [h for h in PROXY_HEADERS if h.lower() in present]


def is_local_visitor(bind_address: str | None, headers: Mapping[str, str], remote_ip: str | None = None) -> bool:
    """The no-sign-in rule: a visitor is the machine's own user only when the server listens on loopback, the
    connection came from loopback, carries no proxy header, and names a loopback host (a page on another site
    that rebinds its DNS name to 127.0.0.1 sends its own name in Host)."""
    if not is_loopback(bind_address):
        return False
    if remote_ip is not None and not is_loopback(remote_ip):
        return False
    if proxied(headers):
        return False
    host = next((v for k, v in headers.items() if k.lower() == "host"), None)
    if host is not None:
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]", 1)[0]
        if not is_loopback(name):
            return False
    return True
