"""Value many term sheets at once: one row per sheet, in this process, in worker processes, or on a Dask cluster.

A screen of hundreds of assets is embarrassingly parallel: each sheet is loaded and valued on its own, and a
sheet that fails (bad input, a numerical failure) gives a row with its error instead of stopping the others.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import InputError, NumericalError
from ..termsheet import load
from ..valuation import value

# the columns of a portfolio row, in order (docs/cli.md, "value FILE... | DIR")
COLUMNS = ("file", "name", "date", "currency", "asset.rnpv", "asset.loa", "asset.peak_sales", "asset.launch_year",
           "pos.prior_loa", "pos.posterior_loa", "deal.licensor_npv", "deal.licensee_npv", "deal.breakeven_upfront",
           "deal.licensee_irr", "error")


def sheet_paths(items: Iterable[str | Path]) -> list[Path]:
    """Files as given and, for a folder, every ``*.toml`` in it (sorted); raises InputError for a missing path."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.glob("*.toml") if q.is_file())
            if not found:
                raise InputError("no *.toml term sheets in the folder", str(p))
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("file not found", str(p))
    return out


def value_row(path: str | Path) -> dict[str, Any]:
    """One sheet's row: the headline outputs of :func:`iitvalue.value`, or its error (``error`` column)."""
    row: dict[str, Any] = {k: None for k in COLUMNS}
    row["file"] = str(path)
    try:
        sheet = load(path)
        row.update(name=sheet.valuation.name, date=sheet.valuation.date.isoformat(), currency=sheet.valuation.currency)
        res = value(sheet)
        for key in COLUMNS[4:-1]:
            try:
                v = res.value_of(key)
            except KeyError:
                continue
            row[key] = None if isinstance(v, float) and not math.isfinite(v) else v
    except (InputError, NumericalError) as exc:
        row["error"] = str(exc)
    return row


def value_many(paths: Iterable[str | Path], jobs: int = 1, scheduler: str | Any | None = None,
               progress: Callable[[int], None] | None = None):
    """Value every term sheet in ``paths`` (files or folders of ``*.toml``); returns a pandas DataFrame with one
    row per sheet in the order given and the columns of :data:`COLUMNS` (numbers as floats, ``error`` the
    message of a sheet that could not be valued, else None).

    Parameters
    ----------
    paths : files or folders
    jobs : int
        Worker processes on this machine (1: in this process).
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client: the sheets are valued on that cluster (needs
        the ``dask`` extra). The sheets' paths must be readable by the workers.
    progress : callable, optional
        Called with 1 after each sheet (e.g. a tqdm bar's ``update``).

    Examples
    --------
    >>> import iitvalue
    >>> df = iitvalue.value_many(["examples/esobiotec.toml", "examples/legend.toml"])
    >>> list(df["name"])
    ['ESO-T01 at the AstraZeneca deal announcement', 'LCAR-B38M at the Janssen deal, two lines']
    """
    import pandas as pd

    files = sheet_paths(paths)
    if jobs < 1:
        raise InputError("--jobs must be at least 1")
    rows: list[dict[str, Any]]
    if scheduler is not None:
        rows = _on_dask(files, scheduler, progress)
    elif jobs == 1 or len(files) == 1:
        rows = []
        for f in files:
            rows.append(value_row(f))
            if progress is not None:
                progress(1)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            rows = []
            for r in pool.map(value_row, [str(f) for f in files]):
                rows.append(r)
                if progress is not None:
                    progress(1)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for c in COLUMNS[4:-1]:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


def _on_dask(files: list[Path], scheduler: str | Any, progress: Callable[[int], None] | None) -> list[dict]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise InputError("--scheduler needs dask.distributed: pip install 'iitvalue[dask]'") from None
    client = scheduler if isinstance(scheduler, Client) else None
    own = client is None
    try:
        if own:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        futures = client.map(value_row, [str(f.resolve()) for f in files], pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        rows: list[dict | None] = [None] * len(futures)
        for fut in as_completed(futures):
            rows[index[fut.key]] = fut.result()
            if progress is not None:
                progress(1)
        return [r for r in rows if r is not None]
    finally:
        if own and client is not None:
            client.close()
