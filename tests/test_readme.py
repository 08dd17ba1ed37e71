"""README's two set-up commands are the ones CI runs and the ones that work."""

from __future__ import annotations

import re

from conftest import ROOT


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands():
    cmds = _commands()
    assert cmds == ["pip install -e . && iitvalue value examples/esobiotec.toml",
                    'pip install -e ".[test]" && python -m pytest -q']


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"TEST_COMMAND='{_commands()[1]}'" in ci


def test_readme_example_command_runs():
    """The second half of README's first command, as a subprocess from the repository root."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "iitvalue", "value", "examples/esobiotec.toml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "rNPV (risk-adjusted)" in proc.stdout and "Deal" in proc.stdout


def test_readme_library_tour_runs(monkeypatch):
    """Every line of README's Python block, run from the repository root."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## The library", 1)[1].split("```python\n", 1)[1].split("\n```", 1)[0]
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {})


def test_readme_layout_table_names_every_subpackage_and_module_folder():
    text = (ROOT / "README.md").read_text()
    table = text.split("## Layout", 1)[1]
    pkg = ROOT / "iitvalue"
    for sub in sorted(p.name for p in pkg.iterdir() if p.is_dir() and not p.name.startswith("__")):
        assert f"`iitvalue/{sub}/`" in table, f"README's layout table lacks iitvalue/{sub}/"
    for mod in sorted(p.name for p in pkg.glob("*.py") if not p.name.startswith("__")):
        assert f"`iitvalue/{mod}`" in table, f"README's layout table lacks iitvalue/{mod}"
    for folder in ("examples", "docs", "tests", "benchmarks"):
        assert f"`{folder}/`" in table


def test_every_readme_command_runs(tmp_path):
    """Each line of README's command-line tour, run in a fresh folder holding a copy of examples/, exits 0."""
    import os
    import shlex
    import shutil
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text()
    block = text.split("## The command line", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "COLUMNS": "100"}
    for line in block.splitlines():
        args = shlex.split(line, comments=True)
        if not args:
            continue
        cmd = " ".join(args)
        args = [sys.executable, "-m", "iitvalue", *args[1:]] if args[0] == "iitvalue" else [sys.executable, *args[1:]]
        proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 0, f"{cmd}\n{proc.stderr[-2000:]}"
