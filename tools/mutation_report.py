"""Write docs/mutation.md from the last `mutmut run`: the kill rate per module and every surviving mutant.

Run by `make mutate` after `mutmut run`, from the folder that holds mutmut's `mutants/`:

    python tools/mutation_report.py --seconds 1234 --out docs/mutation.md
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

#: `mutmut results` names a mutant <module>.x_<function>__mutmut_<n> or <module>.xǁ<Class>ǁ<method>__mutmut_<n>.
_NAME = re.compile(r"^(?P<module>[\w.]+?)\.x(?:_|ǁ)(?P<function>.+)__mutmut_(?P<n>\d+)$")
#: Outcomes that count as caught: a test failed, or the mutant made the tests hang past mutmut's timeout.
CAUGHT = {"killed", "timeout"}


def mutmut(*args: str) -> str:
    """Run the mutmut of this interpreter's environment; its stdout."""
    done = subprocess.run([sys.executable, "-m", "mutmut", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mutmut {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def outcomes(results: str) -> dict[str, str]:
    """mutant name -> outcome, from `mutmut results --all true`."""
    found: dict[str, str] = {}
    for line in results.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and _NAME.match(name):
            found[name] = status.strip()
    return found


def module_of(name: str) -> str:
    match = _NAME.match(name)
    if match is None:
        raise ValueError(f"not a mutmut mutant name: {name!r}")
    return match["module"]


def changed_lines(diff: str) -> list[str]:
    """The removed and added source lines of `mutmut show`'s diff."""
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip()
    ]


def render(found: dict[str, str], diffs: dict[str, list[str]], *, seconds: float | None) -> str:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, status in found.items():
        by_module[module_of(name)][status] += 1
    total = Counter(found.values())
    caught, mutants = sum(total[s] for s in CAUGHT), sum(total.values())
    machine = f"{platform.system()} {platform.machine()}, {_cores()}, Python {platform.python_version()}"
    took = f" in {seconds / 60:.0f} min" if seconds else ""
    lines = [
        "# Mutation testing",
        "",
        "`make mutate` runs [mutmut](https://mutmut.readthedocs.io) over the core rules: it changes one operator,",
        "constant or argument at a time in the modules below and runs the tests that cover the changed function;",
        "a mutant the tests do not notice *survived*. The modules and the tests are listed under `[tool.mutmut]`",
        "in `pyproject.toml`. It is not part of `make test` (it takes long); run it after changing a core rule.",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d}{took}, {machine}: **{caught} of {mutants} mutants caught "
        f"({100 * caught / max(mutants, 1):.0f}%)**.",
        "",
        "| module | mutants | killed | timeout | survived | no tests | caught |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for module in sorted(by_module):
        counts = by_module[module]
        n = sum(counts.values())
        hit = sum(counts[s] for s in CAUGHT)
        lines.append(
            f"| `{module}` | {n} | {counts['killed']} | {counts['timeout']} | {counts['survived']} | "
            f"{counts['no tests']} | {100 * hit / n:.0f}% |"
        )
    others = sorted(set(total) - {"killed", "timeout", "survived", "no tests"})
    if others:
        lines += ["", "Other outcomes: " + ", ".join(f"{s} {total[s]}" for s in others) + "."]
    lines += [
        "",
        "Many survivors are equivalent mutants: a factor that the final normalisation divides out, a Newton step",
        "that the bisection fallback replaces, a message's wording. The rest are gaps to close with a test.",
        "`mutmut show <name>` prints one mutant's diff, `mutmut apply <name>` writes it into the source to debug.",
        "",
        "## Surviving mutants",
    ]
    for module in sorted(by_module):
        survivors = sorted((n for n, s in found.items() if module_of(n) == module and s not in CAUGHT), key=_natural)
        if not survivors:
            continue
        lines += ["", f"### `{module}` ({len(survivors)})", ""]
        for name in survivors:
            change = " → ".join(f"`{line[1:].strip()}`" for line in diffs.get(name, [])[:2])
            lines.append(f"- `{name.removeprefix(module + '.')}` ({found[name]}): {change}")
    return "\n".join(lines) + "\n"


def _cores() -> str:
    """The machine's cores, and how many of them this run could use when it was pinned (`taskset -c 1 make mutate`)."""
    total = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    if usable >= total:
        return f"{total} cores"
    return f"{total} cores, run pinned to {'one core' if usable == 1 else f'{usable} cores'}"


def _natural(name: str) -> tuple[str, int]:
    stem, _, n = name.rpartition("_")
    return stem, int(n) if n.isdigit() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/mutation.md"))
    parser.add_argument("--seconds", type=float, default=None, help="How long `mutmut run` took.")
    args = parser.parse_args()
    found = outcomes(mutmut("results", "--all", "true"))
    if not found:
        raise SystemExit("no mutmut results here: run `mutmut run` first (make mutate does both)")
    diffs = {name: changed_lines(mutmut("show", name)) for name, s in found.items() if s not in CAUGHT}
    args.out.write_text(render(found, diffs, seconds=args.seconds))
    print(f"{args.out}: {sum(s in CAUGHT for s in found.values())} of {len(found)} mutants caught")


if __name__ == "__main__":
    main()
