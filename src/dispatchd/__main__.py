"""Lets ``python -m dispatchd`` behave exactly like the ``dispatchd`` console script."""

from dispatchd.cli import main

main()
