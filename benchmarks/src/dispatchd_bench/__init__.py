"""``dispatchd bench``: dispatchd's own workloads, measured the way the peers are measured."""
