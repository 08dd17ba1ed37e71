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
