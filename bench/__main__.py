"""Run every bench/bench_*.py in a throwaway PostgreSQL database and print ratios.

make bench                  # all benchmarks
make bench BENCH=permissions
"""

import importlib
import os
import pkgutil
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsx.settings.test")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsx_bench")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from bench.harness import Report

    wanted = set(filter(None, os.environ.get("BENCH", "").split(",")))
    names = [m.name for m in pkgutil.iter_modules(["bench"]) if m.name.startswith("bench_")]
    names = [n for n in names if not wanted or n.removeprefix("bench_") in wanted]
    report = Report()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        for name in sorted(names):
            module = importlib.import_module(f"bench.{name}")
            module.run(report)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    if report.failures:
        print("\n".join(["bench: over limit:", *report.failures]))
        return 1
    print(f"bench: {len(report.rows)} measurements, all within limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
