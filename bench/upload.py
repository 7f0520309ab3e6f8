"""Upload benchmark: files posted to `casefile serve` against curl posting to a do-nothing endpoint.

Both sides are driven by the same `curl -F` command, so the request bytes are identical;
the baseline server reads the body and throws it away (the transfer limit on this
machine), Casefile streams it into the blob store while hashing and records it. Then,
with the server's own job workers running, how long until an uploaded mailbox (and a
scan) is searchable, next to `casefile ingest` of the same file.

    .venv/bin/python bench/upload.py [--mbox-mb 200] [--pages 50] [--rounds 3]

Targets: upload >= 50% of the baseline's rate; server RSS < 300 MB during the uploads.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from ingest_mail import write_mbox
from ocr import build as build_scan
from rss import TreeRss

ROOT = Path(__file__).resolve().parents[1]
CASEFILE = Path(sys.executable).parent / "casefile"

# The transfer limit: an ASGI app that reads every byte of the body and discards it.
NULL_SERVER = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early ({process.returncode})")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def _curl_upload(url: str, path: Path) -> tuple[float, dict[str, object] | None]:
    """Seconds to post ``path`` as multipart (same bytes for both servers) and the JSON answer."""
    result = subprocess.run(
        ["curl", "-sS", "-w", "\n%{time_total}", "-F", f"file=@{path}", url],
        capture_output=True, text=True, check=True,
    )
    body, _, seconds = result.stdout.rpartition("\n")
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    return float(seconds), answer


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _serve(data: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CASEFILE_DATA": str(data)}
    process = subprocess.Popen([str(CASEFILE), "serve", "--port", str(port), *extra], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_up(f"http://127.0.0.1:{port}/health", process)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def transfer(folder: Path, files: list[Path], rounds: int) -> dict[str, object]:
    """Best upload rate of each side over alternating rounds, and the server's peak RSS."""
    null_port, port = _free_port(), _free_port()
    null = subprocess.Popen([sys.executable, "-c", NULL_SERVER, str(null_port)])
    server = _serve(folder / "transfer-data", port, "--no-worker")
    try:
        _wait_up(f"http://127.0.0.1:{null_port}/", null)
        total = sum(p.stat().st_size for p in files)
        best_null = best_ours = float("inf")
        with TreeRss(server.pid) as rss:
            for _ in range(rounds):
                seconds = sum(_curl_upload(f"http://127.0.0.1:{null_port}/", p)[0] for p in files)
                best_null = min(best_null, seconds)
                spent = 0.0
                for path in files:
                    seconds, answer = _curl_upload(f"http://127.0.0.1:{port}/api/uploads?client=bench", path)
                    assert answer and "files" in answer, answer
                    spent += seconds
                best_ours = min(best_ours, spent)
        return {
            "bytes": total,
            "baseline_mb_s": total / best_null / 1e6,
            "ours_mb_s": total / best_ours / 1e6,
            "ratio": best_null / best_ours,
            "server_peak_rss_mb": rss.peak_mb,
        }
    finally:
        _stop(server)
        _stop(null)


def _searchable(port: int, query: str) -> bool:
    found = _get(f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode({"q": query, "client": "bench"}))
    return int(found["total"]) > 0  # type: ignore[call-overload]


def until_searchable(folder: Path, path: Path, query: str) -> dict[str, object]:
    """Upload to a server with its workers until ``query`` finds the file, vs `casefile ingest`."""
    port = _free_port()
    server = _serve(folder / f"searchable-{path.stem}", port)
    try:
        with TreeRss(server.pid) as rss:
            start = time.perf_counter()
            uploaded_s, answer = _curl_upload(f"http://127.0.0.1:{port}/api/uploads?client=bench", path)
            job_id = answer["files"][0]["job_id"]  # type: ignore[index]
            while _get(f"http://127.0.0.1:{port}/api/jobs/{job_id}")["state"] not in ("done", "failed"):
                time.sleep(0.2)
            while not _searchable(port, query):
                time.sleep(0.2)
            searchable_s = time.perf_counter() - start
    finally:
        _stop(server)
    env = {**os.environ, "CASEFILE_DATA": str(folder / f"cli-{path.stem}")}
    start = time.perf_counter()
    subprocess.run([str(CASEFILE), "ingest", str(path), "--client", "bench"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cli_s = time.perf_counter() - start
    return {"upload_s": uploaded_s, "searchable_s": searchable_s, "cli_ingest_s": cli_s,
            "ratio": cli_s / searchable_s, "server_peak_rss_mb": rss.peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbox-mb", type=int, default=200)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casefile-upload-bench-") as tmp:
        folder = Path(tmp)
        mbox = folder / "bench.mbox"
        count = max(10, args.mbox_mb * 1_000_000 // 280_000)  # ~200 KB attachments, base64-encoded
        size = write_mbox(mbox, count, attachment_bytes=200_000)
        scan_dir = folder / "scan"
        scan_dir.mkdir()
        scan, _jpegs, _truth = build_scan(scan_dir, args.pages)
        print(f"inputs: {mbox.name} {size / 1e6:.0f} MB ({count} messages), {scan.name} "
              f"{scan.stat().st_size / 1e6:.1f} MB ({args.pages} scanned pages)")

        moved = transfer(folder, [mbox, scan], args.rounds)
        print(f"upload:   casefile {moved['ours_mb_s']:.0f} MB/s vs curl to a null endpoint "
              f"{moved['baseline_mb_s']:.0f} MB/s = {moved['ratio']:.0%} (target >= 50%); "
              f"server peak RSS {moved['server_peak_rss_mb']:.0f} MB (target < 300 MB)")

        mail = until_searchable(folder, mbox, str(count - 1))
        print(f"mailbox:  uploaded in {mail['upload_s']:.1f} s, searchable after {mail['searchable_s']:.1f} s; "
              f"casefile ingest {mail['cli_ingest_s']:.1f} s (ingest/upload-to-searchable = {mail['ratio']:.2f}); "
              f"server peak RSS {mail['server_peak_rss_mb']:.0f} MB")
        scanned = until_searchable(folder, scan, "agreement")
        print(f"scan:     uploaded in {scanned['upload_s']:.1f} s, searchable after {scanned['searchable_s']:.1f} s; "
              f"casefile ingest {scanned['cli_ingest_s']:.1f} s (ratio {scanned['ratio']:.2f}); "
              f"server peak RSS {scanned['server_peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
