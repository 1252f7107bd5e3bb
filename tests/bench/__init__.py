"""``make bench``: speed measured next to a baseline taken in the same run.

Run ``python -m tests.bench`` (all sections) or ``python -m tests.bench foundation``. Each section
prints a table and writes ``bench-results/<section>.json``. Never timed assertions in tests: the
machine is shared and noisy, so a number only means something next to its baseline.

Environment:

* ``TRYG_BENCH_SECONDS`` — measured seconds per endpoint (default 5).
* ``TRYG_BENCH_CONNECTIONS`` — concurrent keep-alive connections (default 50).
* ``TRYG_BENCH_WARMUP`` — warm-up seconds per endpoint (default 1).
* ``TRYG_BENCH_GENERATOR`` — ``auto`` (wrk if on PATH, else Python), ``wrk`` or ``python``.
* ``TRYG_BENCH_INSTALL=1`` — allow ``apt-get install -y wrk`` when wrk is missing.
"""
