"""The ``iitvalue`` command line: a thin click shell over the library, one module per command group
(``value``, ``pos``, ``pricing``, ``montecarlo``, ``excel``) and their shared parts in ``_shell``.

Heavy imports happen inside the commands so that ``iitvalue --help`` starts fast.
"""

from __future__ import annotations

import click

from .. import __version__
from .excel import export_cmd, import_cmd
from .montecarlo import plot_cmd, sensitivity_cmd, simulate_cmd
from .pos import backtest_cmd, pos_cmd
from .pricing import calibrate_cmd, comps_cmd, evsi_cmd, history_cmd, implied_cmd, price_cmd, route_cmd, solve_cmd
from .value import new_cmd, value_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iitvalue")
def main() -> None:
    """Risk-adjusted valuation (rNPV) of biotech assets and deals built on IIT readouts.

    Money is in millions of the term sheet's currency, time in years, rates as fractions.
    Start with `iitvalue new -o deal.toml`, edit it, then `iitvalue value deal.toml`.
    """


for _cmd in (value_cmd, pos_cmd, calibrate_cmd, implied_cmd, price_cmd, solve_cmd, new_cmd, simulate_cmd,
             sensitivity_cmd, plot_cmd, export_cmd, import_cmd, backtest_cmd, comps_cmd, history_cmd, route_cmd,
             evsi_cmd):
    main.add_command(_cmd)
