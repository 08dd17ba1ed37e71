"""``python -m iitvalue`` runs the command line, like the ``iitvalue`` console script."""

from iitvalue.cli import main

main()
