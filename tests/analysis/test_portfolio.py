"""Portfolios: one row per sheet, the same rows in one process, in worker processes and on a local Dask cluster,
and a row with its error for a sheet that cannot be valued."""

from __future__ import annotations

import pandas as pd
import pytest

import iitvalue
from iitvalue.analysis.portfolio import COLUMNS, sheet_paths, value_many
from iitvalue.errors import InputError

from conftest import COMPARABLES, EXAMPLES


def test_rows_match_value_for_each_sheet():
    df = value_many([EXAMPLES / "esobiotec.toml", EXAMPLES / "legend.toml"])
    assert list(df.columns) == list(COLUMNS) and len(df) == 2
    for (_, row), name in zip(df.iterrows(), ("esobiotec", "legend")):
        res = iitvalue.value(EXAMPLES / f"{name}.toml")
        assert row["asset.rnpv"] == pytest.approx(res.summary["asset.rnpv"], rel=1e-12)
        assert row["deal.licensee_npv"] == pytest.approx(res.summary["deal.licensee_npv"], rel=1e-12)
        assert pd.isna(row["error"])
    assert df["asset.rnpv"].dtype.kind == "f"


def test_folder_and_worker_processes_give_the_same_rows(tmp_path):
    for name in ("esobiotec", "interius"):
        (tmp_path / f"{name}.toml").write_text((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"), encoding="utf-8")
    one = value_many([tmp_path])
    two = value_many([tmp_path], jobs=2)
    assert list(one["file"]) == sorted(str(p) for p in tmp_path.glob("*.toml"))
    assert one.drop(columns="file").equals(two.drop(columns="file"))


def test_a_bad_sheet_is_a_row_with_its_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((COMPARABLES / "legend.toml").read_text(encoding="utf-8").replace("discount_rate = 0.09", "discount_rate = 9", 1),
                   encoding="utf-8")
    df = value_many([bad, EXAMPLES / "interius.toml"])
    assert "discount_rate" in df.loc[0, "error"] and pd.isna(df.loc[1, "error"])
    with pytest.raises(InputError, match="file not found"):
        sheet_paths([tmp_path / "missing.toml"])


def test_a_local_dask_cluster_gives_the_same_rows():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            df = value_many([COMPARABLES / "legend.toml", EXAMPLES / "interius.toml"], scheduler=client)
    assert list(df["asset.rnpv"]) == pytest.approx(list(value_many([COMPARABLES / "legend.toml",
                                                                    EXAMPLES / "interius.toml"])["asset.rnpv"]))


def test_value_takes_a_path():
    assert iitvalue.value(str(COMPARABLES / "legend.toml")).summary["asset.rnpv"] == pytest.approx(
        iitvalue.value(iitvalue.load(COMPARABLES / "legend.toml")).summary["asset.rnpv"])
