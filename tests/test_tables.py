"""Text tables: formats, no index, splitting into column blocks within the width, the legend of short names."""

from __future__ import annotations

from iitvalue.tables import Column, money, percent, render, terminal_width

ROWS = [{"year": 2025, "phase": "Phase 1", "revenue": 1234.567, "p": 0.1234, "x": float("nan")},
        {"year": 2026, "phase": "Phase 2", "revenue": -5.0, "p": 1.0, "x": None}]
COLS = [Column("year", "year", lambda v: str(v)), Column("phase", "phase"), Column("revenue", "rev", money, "net sales"),
        Column("p", "P(alive)", percent), Column("x", "x", money)]


def test_formats_and_no_index():
    out = render(ROWS, COLS, width=200)
    lines = out.splitlines()
    assert lines[0].split() == ["year", "phase", "rev", "P(alive)", "x"]
    assert "1,234.6" in lines[2] and "12.3%" in lines[2] and "n/a" in lines[2]
    assert lines[3].lstrip().startswith("2026")  # the first cell is the key, not a 0..n index
    assert "(rev = net sales)" in out


def test_split_into_blocks_that_fit():
    cols = [COLS[0]] + [Column(f"c{i}", f"column{i:02d}", money) for i in range(12)]
    rows = [{"year": 2025, **{f"c{i}": 1e6 * i for i in range(12)}}]
    out = render(rows, cols, width=60)
    assert max(len(line) for line in out.splitlines()) <= 60
    assert out.count("year") >= 2  # each block repeats the key column
    assert max(len(line) for line in render(rows, cols, wide=True).splitlines()) > 60


def test_width_follows_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert terminal_width() == 80
    monkeypatch.setenv("COLUMNS", "junk")
    assert terminal_width() == 100
