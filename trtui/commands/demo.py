"""`trtui demo`: the live UI on the embedded simulated engine (no GPU needed)."""

from __future__ import annotations

import argparse

from trtui.commands.open_source import add_ui_arguments, launch
from trtui.commands.run_args import add_run_arguments, add_verbose_argument, options_from_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_ui_arguments(p)
    add_verbose_argument(p, live=True)
    add_run_arguments(p, engine=False)


def run(args: argparse.Namespace) -> int:
    args.source = "demo"
    return launch("demo", options_from_args(args), args)
