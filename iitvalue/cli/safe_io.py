"""Output files that are checked before the work and written whole or not at all.

:class:`Output` checks an ``-o`` path when a command starts (the extension, ``--force``, that it is not a folder,
that its folder exists and can be written to, by creating the temporary file the output will be written to),
and after the work renames that temporary file over the target (``os.replace``, atomic within a folder). An
interrupted or failed run removes the temporary file and leaves any existing target as it was. Every failure is
an :class:`~iitvalue.errors.InputError` (exit 2) that names the file.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Callable

from ..errors import InputError


class Output:
    """One output file of a command: checked and reserved at construction, written by :meth:`write_text` or
    :meth:`write_with`, committed by :meth:`commit` (or a ``with`` block that ends without an exception).

    Parameters
    ----------
    path : str
        The ``-o`` argument.
    force : bool
        Whether an existing file may be replaced.
    suffixes : tuple of str, optional
        Allowed extensions (lower case, with the dot).
    """

    def __init__(self, path: str, force: bool, suffixes: tuple[str, ...] | None = None):
        self.shown = path
        self.path = Path(path)
        self.target = _resolve(self.path)
        self.tmp: Path | None = None
        self.direct = False  # a device or pipe (e.g. /dev/null) is written in place, not replaced
        self._check(force, suffixes)
        _exit_cleanly_on_terminate()
        self._reserve()

    # ---- before the work ------------------------------------------------------------------------------------
    def _check(self, force: bool, suffixes: tuple[str, ...] | None) -> None:
        p, real = self.path, self.target
        if real.is_dir() or self.shown.endswith(("/", os.sep)):
            raise InputError("is a folder; name a file inside it, e.g. "
                             f"{p / ('out' + (suffixes[0] if suffixes else '.txt'))}", self.shown)
        if suffixes and p.suffix.lower() not in suffixes:
            raise InputError(f"output must end in {' or '.join(suffixes)}", self.shown)
        exists = real.exists()
        if exists and not force:
            raise InputError("file exists; pass --force to overwrite it", self.shown)
        folder = real.parent
        if not folder.exists():
            via = f" (the link {p} points to {real})" if real != p.absolute() and p.is_symlink() else ""
            raise InputError(f"folder '{folder}' does not exist{via}; create it first or write elsewhere", self.shown)
        if not folder.is_dir():
            raise InputError(f"'{folder}' is not a folder", self.shown)
        if exists and not real.is_file():
            self.direct = True  # /dev/null, a named pipe: nothing to replace atomically

    def _reserve(self) -> None:
        if self.direct:
            try:
                with open(self.target, "ab"):
                    pass
            except OSError as exc:
                raise _cannot_write(self.shown, exc) from None
            return
        try:
            fd, name = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.",
                                        suffix=f".tmp{self.target.suffix}")
        except OSError as exc:
            raise _cannot_write(self.shown, exc) from None
        os.close(fd)
        self.tmp = Path(name)

    # ---- after the work -------------------------------------------------------------------------------------
    @property
    def writable(self) -> Path:
        """Where a writer should put the content (the temporary file, or the device itself)."""
        return self.target if self.direct else self.tmp  # type: ignore[return-value]

    def write_text(self, text: str) -> None:
        """Write ``text`` (UTF-8) and commit it.

        Parameters
        ----------
        text : str
        """
        self.write_with(lambda p: p.write_text(text, encoding="utf-8"))

    def write_with(self, writer: Callable[[Path], object]) -> None:
        """Call ``writer(path)`` to write the content, then commit it; remove the partial file on any failure.

        Parameters
        ----------
        writer : callable
            Takes the path to write to (same folder and extension as the target).
        """
        try:
            writer(self.writable)
        except OSError as exc:
            self.discard()
            raise _cannot_write(self.shown, exc) from None
        except BaseException:
            self.discard()
            raise
        self.commit()

    def commit(self) -> None:
        """Rename the written temporary file over the target."""
        if self.tmp is None:
            return
        try:
            os.chmod(self.tmp, _default_mode(self.target))
            os.replace(self.tmp, self.target)
        except OSError as exc:
            self.discard()
            raise _cannot_write(self.shown, exc) from None
        self.tmp = None

    def discard(self) -> None:
        """Remove the temporary file (nothing is left behind; an existing target is untouched)."""
        if self.tmp is not None:
            try:
                self.tmp.unlink()
            except OSError:
                pass
            self.tmp = None

    def __enter__(self) -> "Output":
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        self.discard()  # written outputs were committed already; anything left is unfinished
        return False

    def __str__(self) -> str:
        return self.shown


def _exit_cleanly_on_terminate() -> None:
    """Let SIGTERM unwind like Ctrl-C (SystemExit 143), so the temporary file is removed; only in the main
    thread and only where SIGTERM still has its default action."""
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _terminated)
    except (AttributeError, ValueError, OSError):
        pass


def _terminated(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _resolve(p: Path) -> Path:
    """The file a path names, following symbolic links (a dangling link names its missing target)."""
    try:
        return Path(os.path.realpath(p))
    except (OSError, ValueError):
        return p.absolute()


def _default_mode(target: Path) -> int:
    """The mode of the file being replaced, or what a new file gets under the process umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _cannot_write(shown: str, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    return InputError(f"cannot be written: {reason}; choose a folder you can write to (and that has free space)",
                      shown)
