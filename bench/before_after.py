"""The email front's costs before and after, measured in one run (run by hand).

    uv run python bench/before_after.py [--before 5e4a459] [--replies 1000]
                                        [--consultations 30] [--rounds 2]

Checks the ``--before`` commit out into a temporary git worktree (by default main before the
work on issue #18, bodies of any size) and runs that commit's own `bench/mail.py`
and this checkout's, alternately, ``--rounds`` times each, with the same interpreter and
packages, on the same machine a moment apart. Prints each side's best time per reply ingested
and per draft sent, the ratio before/after, and the 1-minute load average beside each run
(the machine may be shared: a loaded run is slower on either side).

Each side's `bench/mail.py` prints its rates (msg/s) for the service; the raw library rates
are printed too, so a run on a busy machine shows itself.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# main before the merges for issue #18, where its migrations form one chain (the next commit,
# 512a494, had two heads until they were chained again)
BASELINE = "5e4a459"
_SERVICE = re.compile(r"service \(([a-z, ]+)\)\s+([\d.]+) s\s+([\d.]+) msg/s")
_RAW = re.compile(r"raw [^\n]*?\s([\d.]+) s\s+([\d.]+) msg/s")


@dataclass
class Side:
    name: str
    root: Path
    ingest_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)
    raw_fanout_ms: list[float] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def run_once(side: Side, args: argparse.Namespace) -> None:
    """One run of this side's `bench/mail.py`, its rates read off what it prints."""
    side.loads.append(load())
    command = [
        sys.executable,
        str(side.root / "bench" / "mail.py"),
        "--replies",
        str(args.replies),
        "--consultations",
        str(args.consultations),
    ]
    printed = subprocess.run(
        command, cwd=side.root, capture_output=True, text=True, check=True
    ).stdout
    services = _SERVICE.findall(printed)
    raws = _RAW.findall(printed)
    if len(services) != 2 or len(raws) != 2:
        raise SystemExit(f"{side.name}: cannot read bench/mail.py's output:\n{printed}")
    side.ingest_ms.append(1000 / float(services[0][2]))
    side.fanout_ms.append(1000 / float(services[1][2]))
    side.raw_fanout_ms.append(1000 / float(raws[1][1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=BASELINE)
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--consultations", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        worktree = Path(folder) / "before"
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "--detach",
                "-q",
                str(worktree),
                args.before,
            ],
            check=True,
        )
        try:
            before, after = (
                Side(f"before ({args.before})", worktree),
                Side("after (this checkout)", ROOT),
            )
            for _ in range(args.rounds):
                for side in (before, after):
                    run_once(side, args)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=True
            )

    print(
        f"bench/mail.py, {args.replies} replies ingested and {args.consultations} consultations "
        f"fanned out (11 drafts each), SQLite; best of {args.rounds} runs per side"
    )
    for side in (before, after):
        print(
            f"  {side.name:<24} ingest {min(side.ingest_ms):6.1f} ms/reply   "
            f"fan-out {min(side.fanout_ms):6.1f} ms/draft "
            f"(raw aiosmtplib {min(side.raw_fanout_ms):4.1f} ms)   load {', '.join(side.loads)}"
        )
    print(
        f"  before/after: ingest {min(before.ingest_ms) / min(after.ingest_ms):.1f}x cheaper, "
        f"fan-out {min(before.fanout_ms) / min(after.fanout_ms):.1f}x cheaper"
    )


if __name__ == "__main__":
    main()
