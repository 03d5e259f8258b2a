"""`trtui serve SOURCE --listen HOST:PORT`: a headless run with /metrics, /snapshot and /stream."""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any

from trtui.commands.run_args import add_run_arguments, int_in, options_from_args, positive_float
from trtui.common.errors import UserError
from trtui.pipeline.session import Session
from trtui.remote.access import DEFAULT_PORT, TOKEN_ENV, check_bind, parse_listen, read_token
from trtui.stats.update import Update


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="'demo', an engine file, or a trtexec recording (file or folder)")
    p.add_argument(
        "--listen",
        default=f"127.0.0.1:{DEFAULT_PORT}",
        metavar="HOST:PORT",
        help=f"address to listen on (default 127.0.0.1:{DEFAULT_PORT}; a non-loopback address needs a token)",
    )
    p.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"clients must send this token (Authorization: Bearer); or set ${TOKEN_ENV}",
    )
    p.add_argument(
        "--top-layers",
        type=int_in(1, 100_000),
        default=20,
        metavar="N",
        help="layers exported as metrics, by share (default 20)",
    )
    p.add_argument("--all-layers", action="store_true", help="export every layer as metrics (cardinality!)")
    p.add_argument(
        "--allow-control",
        action="store_true",
        help="let clients pause, resume and reset the run (POST /control; off by default)",
    )
    p.add_argument(
        "--rate",
        type=positive_float,
        default=20.0,
        metavar="N",
        help="requests per second allowed per client address (default 20, burst twice that)",
    )
    p.add_argument(
        "--duration",
        type=positive_float,
        metavar="S",
        help="stop after S seconds (default: run until stopped)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_run_arguments(p)


def run(args: argparse.Namespace) -> int:
    host, port = parse_listen(args.listen)
    token = read_token(args.token_file)
    check_bind(host, token)
    options = options_from_args(args)

    from trtui.common.signals import interrupt_on_term
    from trtui.recording.summary import summary_dict
    from trtui.remote.hub import UpdateHub
    from trtui.remote.metrics import LatencyTap, RunCollector, registry_for
    from trtui.remote.server import RunServer
    from trtui.sources.factory import open_source, telemetry_for

    source = open_source(args.source, options)
    tap = LatencyTap(source)
    session = Session(tap, telemetry_for(source, options), options)
    hub = UpdateHub()
    collector = RunCollector(hub.latest, tap, None if args.all_layers else args.top_layers)
    registry = registry_for(collector)

    def metrics(_: Update | None) -> bytes:
        from prometheus_client import generate_latest

        return bytes(generate_latest(registry))

    def snapshot(update: Update | None) -> bytes:
        if update is None:
            return b"{}\n"
        return json.dumps(_finite(summary_dict(update)), allow_nan=False).encode() + b"\n"

    def control(action: str) -> None:
        if action == "reset":
            session.reset()
        else:
            session.set_paused(action == "pause")

    try:
        server = RunServer(
            (host, port),
            hub,
            metrics,
            snapshot,
            token=token,
            control=control if args.allow_control else None,
            rate=args.rate,
        )
    except OSError as err:
        raise UserError(f"--listen {args.listen}: {err.strerror or err}") from None
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    serving = threading.Thread(target=server.serve_forever, name="trtui-http", daemon=True)
    with interrupt_on_term():
        try:
            session.start(hub.publish)
            serving.start()
            if not args.quiet:
                where = f"[{bound_host}]" if ":" in bound_host else bound_host
                tag = " (simulated)" if source.info.simulated and "simulated" not in source.info.label else ""
                print(
                    f"trtui serve: {source.info.label}{tag} on http://{where}:{bound_port}",
                    file=sys.stderr,
                    flush=True,
                )
            _wait(session, args.duration)
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            session.stop()
    final = session.last_update
    if final is not None and _failed(final):
        assert final is not None
        raise UserError(final.profile.error or "the source failed")
    return 0


def _finite(value: Any) -> Any:
    """JSON-safe: a non-finite float (should one slip through) becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _failed(update: Update | None) -> bool:
    """The run failed before it produced anything (a bad engine): nothing worth serving."""
    return update is not None and update.profile.state == "error" and not update.profile.latency_total.count


def _wait(session: Session, duration: float | None) -> None:
    """Until `duration` passes (forever without one) or the run fails at start; a finished run
    (a recording) keeps being served. Ctrl-C, SIGTERM and SIGHUP end the wait."""
    end = None if duration is None else time.monotonic() + duration
    tick = threading.Event()
    while end is None or time.monotonic() < end:
        tick.wait(0.25 if end is None else max(0.0, min(0.25, end - time.monotonic())))
        if _failed(session.last_update):
            return
