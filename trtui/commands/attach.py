"""`trtui attach URL [URL ...]`: the live screen of a `trtui serve` run elsewhere; with several
URLs, a fleet overview (one row per device; Enter opens one in the full screen, q comes back)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trtui.commands.open_source import add_ui_arguments
from trtui.common.errors import UserError
from trtui.remote.access import TOKEN_ENV, check_url, read_token

MAX_URLS = 64


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "urls", nargs="+", metavar="URL", help="a 'trtui serve' address, e.g. http://jetson-01:9464"
    )
    p.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"the servers' token (sent as Authorization: Bearer); or set ${TOKEN_ENV}",
    )
    add_ui_arguments(p)


def run(args: argparse.Namespace) -> int:
    urls = [check_url(u) for u in args.urls]
    if len(urls) > MAX_URLS:
        raise UserError(f"at most {MAX_URLS} URLs")
    if len(set(urls)) != len(urls):
        raise UserError("a URL is given twice")
    token = read_token(args.token_file)
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise UserError("the live screen needs a terminal; for scripts read URL/snapshot or URL/metrics")
    from trtui.remote.feed import RemoteFeed
    from trtui.ui.app import run_app

    if len(urls) == 1:
        return run_app(
            RemoteFeed(urls[0], token),
            refresh_s=args.refresh,
            cpu_budget_pct=args.cpu_budget,
            lean=args.lean_terminal,
        )
    from trtui.ui.fleet_app import run_fleet

    return run_fleet(urls, token, refresh_s=args.refresh, cpu_budget_pct=args.cpu_budget)
