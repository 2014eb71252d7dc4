"""Summarise a py-spy raw profile: where the busy samples were, by layer and by function.

Usage (from the repository root):
    .venv/bin/python benchmarks/profile_summary.py PROFILE.txt [--top 15]

PROFILE.txt is what ``py-spy record --format raw`` writes, e.g. the files that
``dispatchd bench --profile DIR`` leaves in DIR, or a profile taken by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dispatchd_bench.profiling import summarise


def main() -> None:
    """Print the shares of busy samples per layer and per function."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    profile = summarise(args.profile, top=args.top)
    print(f"{args.profile.name}: {profile.samples} busy samples")
    for title, shares in (("by layer", profile.layers), ("by function", profile.own)):
        print(f"\n{title}:")
        for name, share in shares:
            print(f"  {share:6.1%}  {name}")


if __name__ == "__main__":
    main()
