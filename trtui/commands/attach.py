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
    return run_fleet(urls, token, refresh_s=args.refresh, cpu_budget_pct=args.cpu_budget)


def run_fleet(
    urls: list[str], token: str | None, refresh_s: float = 0.5, cpu_budget_pct: float = 10.0
) -> int:
    """The overview until q; Enter shows one device's live screen, whose q comes back here.
    SIGTERM or SIGHUP (an SSH disconnect) ends both. Every overview and device screen gets new
    feeds built here, each holding the device's newest numbers from the screen before."""
    from trtui.remote.feed import RemoteFeed
    from trtui.stats.update import Update
    from trtui.ui.app import TrtuiApp
    from trtui.ui.fleet_app import FleetApp
    from trtui.ui.guard import run_guarded

    def feed_for(url: str, last: Update | None) -> RemoteFeed:
        feed = RemoteFeed(url, token)
        feed.last_update = last
        return feed

    remembered: list[Update | None] = [None] * len(urls)  # every device's newest numbers, kept
    while True:
        feeds = [feed_for(url, last) for url, last in zip(urls, remembered, strict=True)]
        app = FleetApp(feeds, refresh_s=refresh_s)
        choice = run_guarded(app)
        remembered = [feed.last_update for feed in feeds]
        if choice is None:
            return 0
        feed = feed_for(urls[choice], remembered[choice])
        device = TrtuiApp(feed, refresh_s=refresh_s, cpu_budget_pct=cpu_budget_pct)
        try:
            run_guarded(device)
        finally:
            feed.stop()
            remembered[choice] = feed.last_update
        if device.signalled:
            return 0
        # A run that failed showed its error on its screen; back to the overview either way.
