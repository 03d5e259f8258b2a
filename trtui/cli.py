"""Command line: `trtui SOURCE`, `trtui demo`, `trtui profile`, and the other subcommands.

The front door of the composition root. The commands are listed in `trtui.commands.COMMANDS` (name,
module, one-line help); each lives in `trtui.commands.<module>` with `add_arguments(parser)` and
`run(args) -> int`. A command's module is imported only when that command runs (or its own `--help`
is asked for): `trtui --help` and `trtui --version` import no command module, no numpy and no GPU stack.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from trtui.commands import COMMANDS as REGISTRY
from trtui.commands import Command
from trtui.common import format as fmt
from trtui.common.errors import Interrupted, UserError
from trtui.common.version import __version__

# Subcommand name -> its registry entry. `open` is the default: `trtui FILE` = `trtui open FILE`.
COMMANDS: dict[str, Command] = {c.name: c for c in REGISTRY}

PROG = "trtui"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line (via UserError) instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see '{self.prog} --help')")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser. Every command is listed with its help, but only `command`'s module is
    imported and given its arguments (the others are there by name and help only): `trtui --help`
    imports no command module, and `trtui demo` does not pay for importing every other command."""
    parser = _Parser(
        prog=PROG,
        description="A terminal profiler for NVIDIA TensorRT engines. "
        "'trtui FILE' opens an engine (runs it live) or a trtexec recording; 'trtui demo' runs "
        "the simulated demo engine.",
    )
    parser.add_argument("--version", action="version", version=f"trtui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for entry in COMMANDS.values():
        p = sub.add_parser(entry.name, help=entry.help, description=entry.help)
        if entry.name != command:
            continue
        module = importlib.import_module(f"trtui.commands.{entry.module}")
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _normalise(argv: list[str]) -> list[str]:
    """`trtui FILE ...` means `trtui open FILE ...`; a mistyped command is named, not opened."""
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        _reject_unknown_command(argv)
        return ["open", *argv]
    return argv


def _reject_unknown_command(argv: list[str]) -> None:
    """Raise UserError when argv[0] reads as a mistyped command rather than a source to open.

    A word that is no file, has no path separator or suffix, and either resembles a command or is
    followed by another positional word (`trtui profle demo`) is an unknown command."""
    word = argv[0]
    if word == "demo" or "/" in word or "." in word or Path(word).exists():
        return
    nearest = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.6)
    more_words = len(argv) > 1 and not argv[1].startswith("-")
    if not nearest and not more_words:
        return
    hint = f"did you mean '{nearest[0]}'?" if nearest else "commands: " + ", ".join(COMMANDS)
    raise UserError(f"unknown command '{word}'; {hint} (see '{PROG} --help')")


class _SafeWriter:
    """A text stream that escapes control characters (ESC, \\x01, ...) but keeps line breaks:
    names from engines, recordings and the network never drive the reader's terminal."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(fmt.safe_block(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.contextmanager
def safe_stdout() -> Iterator[None]:
    """While a command runs, everything it prints to stdout goes through `format.safe_block`
    (JSON is unchanged: it escapes control characters itself)."""
    saved = sys.stdout
    sys.stdout = _SafeWriter(saved)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout = saved


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (`sys.argv[1:]` when `argv` is None) and return its exit code (README,
    "Exit codes"): 0 done; 1 a command found nothing to choose or a regression; 2 a bad input or
    something missing (a `UserError` anywhere below: one line on stderr, no traceback); 130
    interrupted."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args_list:
            build_parser().print_help()
            return 0
        argv = _normalise(args_list)
        parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
        args = parser.parse_args(argv)
        if getattr(args, "_module", None) is None:
            parser.print_help()
            return 0
        with safe_stdout():
            return int(args._module.run(args))
    except UserError as err:
        print(f"{PROG}: error: {fmt.safe(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as err:
        said = str(err) if isinstance(err, Interrupted) else ""
        print(f"{PROG}: {said or 'interrupted'}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
