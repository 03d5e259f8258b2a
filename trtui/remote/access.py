"""Who may connect: the listen address, the token (from a file or TRTUI_TOKEN, never the command
line alone), and the rule that a non-loopback bind needs a token."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

from trtui.errors import UserError

TOKEN_ENV = "TRTUI_TOKEN"
MIN_TOKEN = 16
MAX_TOKEN = 4096
DEFAULT_PORT = 9464


def parse_listen(text: str) -> tuple[str, int]:
    """'HOST:PORT', '[V6]:PORT' or ':PORT' (loopback) -> (host, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        raise UserError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:{DEFAULT_PORT}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        raise UserError(f"--listen {text!r}: the port is not a number") from None
    if not 0 <= port <= 65535:
        raise UserError(f"--listen {text!r}: the port must be 0-65535")
    return host, port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def read_token(token_file: Path | None, what: str = "--token-file") -> str | None:
    """The token from `token_file`, else from $TRTUI_TOKEN, else None. Raises UserError when it is
    unreadable, too short or has odd characters."""
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(
                f"{what} {token_file}: cannot read it ({getattr(err, 'strerror', None) or err})"
            ) from None
        source = f"{what} {token_file}"
    elif os.environ.get(TOKEN_ENV):
        text, source = os.environ[TOKEN_ENV].strip(), f"${TOKEN_ENV}"
    else:
        return None
    if not MIN_TOKEN <= len(text) <= MAX_TOKEN:
        raise UserError(f"{source}: the token must be {MIN_TOKEN} to {MAX_TOKEN} characters")
    if not text.isascii() or not text.isprintable() or any(ch.isspace() for ch in text):
        raise UserError(f"{source}: the token must be printable ASCII without spaces")
    return text


def check_bind(host: str, token: str | None) -> None:
    if token is None and not is_loopback(host):
        raise UserError(
            f"--listen {host}: a non-loopback address needs a token "
            f"(--token-file FILE or ${TOKEN_ENV}); or listen on 127.0.0.1"
        )


def check_url(url: str) -> str:
    """An attach URL: http(s)://HOST[:PORT][/]; returns it without a trailing slash."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{url!r}: expected http://HOST:PORT (or https:// through a proxy)")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise UserError(f"{url!r}: bad port") from None
    if parts.query or parts.fragment or parts.username:
        raise UserError(f"{url!r}: no query, fragment or user name in the URL (use --token-file)")
    return url.rstrip("/")
