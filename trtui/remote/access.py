"""Who may connect: the listen address, the token (from a file or TRTUI_TOKEN, never the command
line alone), and the rule that a non-loopback bind needs a token."""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from trtui.common.errors import UserError

TOKEN_ENV = "TRTUI_TOKEN"
MIN_TOKEN = 16
MAX_TOKEN = 4096
MAX_TOKEN_FILE = 4096  # bytes: a token file larger than this is not a token file
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
    """The token from `token_file`, else from $TRTUI_TOKEN, else None. Raises UserError when the
    file is not a regular file, is larger than MAX_TOKEN_FILE, is open to group or others, or is
    unreadable, and when the token is too short or has odd characters."""
    if token_file is not None:
        text = _read_token_file(token_file, what)
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


def _read_token_file(path: Path, what: str) -> str:
    """A secret's file, read only once it is known to be small, regular and private. Opened
    without blocking (a FIFO would wait for a writer) and checked on the open descriptor, so that
    what is checked is what is read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise UserError(f"{what} {path}: cannot read it ({err.strerror or err})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{what} {path}: not a regular file (give a file that holds the token)")
        if st.st_size > MAX_TOKEN_FILE:
            raise UserError(
                f"{what} {path}: {st.st_size} bytes, larger than {MAX_TOKEN_FILE} (a token file holds "
                f"one token of {MIN_TOKEN} to {MAX_TOKEN} characters)"
            )
        mode = stat.S_IMODE(st.st_mode)
        if os.name == "posix" and mode & 0o077:
            raise UserError(
                f"{what} {path}: readable or writable by group or others (mode {mode:04o}); "
                f"make it private: chmod 600 {path}"
            )
        data = os.read(fd, MAX_TOKEN_FILE + 1)
    except OSError as err:
        raise UserError(f"{what} {path}: cannot read it ({err.strerror or err})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_TOKEN_FILE:  # it grew since the check
        raise UserError(f"{what} {path}: larger than {MAX_TOKEN_FILE} bytes")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise UserError(f"{what} {path}: the token must be printable ASCII without spaces") from None


def check_bind(host: str, token: str | None) -> None:
    """Refuse (UserError) to serve without a token on an address other machines can reach."""
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
