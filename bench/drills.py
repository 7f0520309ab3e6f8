"""Crash and concurrency drills: kill `casefile ingest` at random moments, run it again, compare.

Each run ingests a generated mailbox and sample_docs/northwind into a fresh data folder,
is killed with SIGKILL after a random fraction of an uninterrupted ingest's time, and is
then run again unchanged. The archive after the re-run must equal an uninterrupted
ingest of the same files (items by client, kind, hash and parent), keep every item the
killed run had committed, pass `verify-archive`, and hold no leftovers. Then the
concurrency cases: two ingests of different files at once, two of the same files at
once, and tags and notes from the CLI during an ingest.

    .venv/bin/python bench/drills.py [--runs 50] [--messages 2000] [--seed 7]

Targets (all 0): acknowledged items lost, re-runs that differ from an uninterrupted
ingest, verify-archive failures after the re-run, lock errors, leftovers.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ingest_mail import write_mbox

ROOT = Path(__file__).resolve().parents[1]
CASEFILE = Path(sys.executable).parent / "casefile"
SAMPLES = ROOT / "sample_docs" / "northwind"

Snapshot = Counter[tuple[str, str, str, str]]


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "CASEFILE_DATA": str(data), "CASEFILE_TIMEZONE": "Europe/London"}


def _ingest(data: Path, inputs: list[Path], client: str = "bench") -> subprocess.Popen[str]:
    return subprocess.Popen([str(CASEFILE), "ingest", *map(str, inputs), "--client", client], env=_env(data),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def snapshot(data: Path) -> Snapshot:
    """Every item as (client, kind, what identifies its content, its parent's content)."""
    db = data / "archive.db"
    if not db.exists():
        return Counter()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT c.slug, i.kind, COALESCE(i.sha256, 'row:' || COALESCE(i.source_row, '') || ':' || i.title), "
            "COALESCE(p.sha256, '') FROM item i JOIN client c ON c.id = i.client_id "
            "LEFT JOIN item p ON p.id = i.parent_id"
        ).fetchall()
    return Counter(tuple(map(str, row)) for row in rows)  # type: ignore[misc]


def leftovers(data: Path) -> list[str]:
    """Files a dead process left that a finished, clean run should have cleared."""
    found = [str(p) for p in (data / "blobs").rglob(".tmp-*")]
    found += [str(p) for p in (data / "exports").glob(".build-*")] if (data / "exports").is_dir() else []
    index = data / "index"
    if (index / "CURRENT").is_file():
        live = (index / "CURRENT").read_text().strip()
        found += [str(p) for p in index.glob("gen-*") if p.name != live]
    found += [str(p) for p in (data / "run").glob("*.lock")] if (data / "run").is_dir() else []
    return found


def _verify(data: Path) -> bool:
    result = subprocess.run([str(CASEFILE), "verify-archive"], env=_env(data), capture_output=True, text=True)
    if result.returncode:
        print(f"    verify-archive: {(result.stderr or result.stdout).strip()[:600]}", flush=True)
    return result.returncode == 0


def _lock_trouble(result: subprocess.CompletedProcess[str] | tuple[int, str]) -> bool:
    code, stderr = (result.returncode, result.stderr) if isinstance(result, subprocess.CompletedProcess) else result
    return code != 0 or "locked" in stderr or "busy" in stderr or "Traceback" in stderr


def kill_runs(folder: Path, inputs: list[Path], runs: int, seed: int) -> dict[str, object]:
    reference_data = folder / "reference"
    start = time.perf_counter()
    done = _ingest(reference_data, inputs)
    done.communicate()
    duration = time.perf_counter() - start
    reference = snapshot(reference_data)
    rng = random.Random(seed)
    lost = differing = unverified = lock_errors = left = 0
    for run in range(runs):
        data = folder / f"run-{run}"
        process = _ingest(data, inputs)
        time.sleep(rng.uniform(0.05, duration))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        acknowledged = snapshot(data)  # what the killed run had committed
        again = _ingest(data, inputs)
        _out, errors = again.communicate()
        if _lock_trouble((again.returncode, errors)):
            lock_errors += 1
            print(f"    re-run exit {again.returncode}: {errors.strip()[-600:]}", flush=True)
        final = snapshot(data)
        lost += sum((acknowledged - final).values())
        differing += final != reference
        unverified += not _verify(data)
        left += len(leftovers(data))
        print(f"  run {run + 1:>3}/{runs}: killed with {sum(acknowledged.values()):>5} items committed; "
              f"re-run {'same' if final == reference else 'DIFFERENT'}", flush=True)
        if final != reference:
            print(f"    missing {sum((reference - final).values())}, extra {sum((final - reference).values())}: "
                  f"{list((final - reference) + (reference - final))[:3]}", flush=True)
    return {"runs": runs, "reference_s": duration, "lost": lost, "differing": differing, "unverified": unverified,
            "lock_errors": lock_errors, "leftovers": left, "items": sum(reference.values())}


def concurrency(folder: Path, mbox: Path) -> dict[str, int]:
    lock_errors = 0
    # two ingests of different files into one data folder at once
    data = folder / "two-writers"
    first, second = _ingest(data, [mbox]), _ingest(data, [SAMPLES])
    for process in (first, second):
        _out, errors = process.communicate()
        lock_errors += _lock_trouble((process.returncode, errors))
    both_ok = _verify(data)
    # the same files twice at once: one item per hash
    same = folder / "same-files"
    a, b = _ingest(same, [mbox, SAMPLES]), _ingest(same, [mbox, SAMPLES])
    for process in (a, b):
        _out, errors = process.communicate()
        lock_errors += _lock_trouble((process.returncode, errors))
    doubled = sum(count - 1 for count in snapshot(same).values() if count > 1)
    # tags and notes from the CLI while an ingest writes
    busy = folder / "tag-during-ingest"
    seed = subprocess.run([str(CASEFILE), "ingest", str(SAMPLES / "notes"), "--client", "bench"], env=_env(busy),
                          capture_output=True, text=True)
    lock_errors += _lock_trouble(seed)
    ingest = _ingest(busy, [mbox])
    for n in range(10):
        for command in (["tag", "1", f"drill-{n}"], ["note", "1", f"during the ingest, {n}"]):
            lock_errors += _lock_trouble(subprocess.run([str(CASEFILE), *command], env=_env(busy),
                                                        capture_output=True, text=True))
    _out, errors = ingest.communicate()
    lock_errors += _lock_trouble((ingest.returncode, errors))
    return {"lock_errors": lock_errors, "verify_failures": (not both_ok) + (not _verify(same)) + (not _verify(busy)),
            "doubled_items": doubled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casefile-drills-") as tmp:
        folder = Path(tmp)
        mbox = folder / "drill.mbox"
        size = write_mbox(mbox, args.messages)
        print(f"inputs: {mbox.name} ({args.messages} messages, {size / 1e6:.1f} MB) + sample_docs/northwind")
        kills = kill_runs(folder, [mbox, SAMPLES], args.runs, args.seed)
        print(f"kills: {kills['runs']} runs (uninterrupted ingest {kills['reference_s']:.1f} s, "
              f"{kills['items']} items)")
        print(f"  acknowledged items lost:                 {kills['lost']} (target 0)")
        print(f"  re-runs different from uninterrupted:    {kills['differing']} (target 0)")
        print(f"  verify-archive failures after re-run:    {kills['unverified']} (target 0)")
        print(f"  re-runs with lock errors:                {kills['lock_errors']} (target 0)")
        print(f"  leftovers after re-runs:                 {kills['leftovers']} (target 0)")
        together = concurrency(folder, mbox)
        print("concurrency: two ingests at once, the same files twice at once, tag/note during an ingest")
        print(f"  lock errors:                             {together['lock_errors']} (target 0)")
        print(f"  doubled items:                           {together['doubled_items']} (target 0)")
        print(f"  verify-archive failures:                 {together['verify_failures']} (target 0)")


if __name__ == "__main__":
    main()
