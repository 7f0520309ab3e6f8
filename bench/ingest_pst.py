"""PST benchmark: Casefile's PST extractor against readpst converting the same file to mbox.

Generates a multi-thousand-message Unicode PST (bench/pstgen.py) in a temp dir, then in
alternating rounds, each in its own process: our extractor iterating every item (and its
attachments, read through the registry) as ingest does, without the database; and
`readpst -o <tmp> -r` writing the same file out as mbox folders; and pypff alone reading
every property (the floor for any Python reader on libpff). Prints messages/s, the ratio,
and each process's peak RSS (VmHWM; GNU time's for readpst). With --big-mb, also reads a
PST of about that size (1 MB attachments) to show that memory stays flat.

    .venv/bin/python bench/ingest_pst.py [--messages 5000] [--rounds 3] [--big-mb 0]

Targets: our rate >= 50% of readpst's; our peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from pstgen import Attachment, Message, PstWriter, Recipient

ROOT = Path(__file__).resolve().parents[1]
WORDS = (
    "invoice delivery deadline loyalty module scope change payment overdue contract meeting "
    "release acceptance milestone review budget schedule reminder follow-up update support"
).split()
PEOPLE = [("Greg Hale", "greg@northwind-retail.example"), ("Zoe Park", "zoe@northwind-retail.example"),
          ("Dana Whitfield", "dana@whitfield-digital.example")]
FOLDERS = ["Inbox", "Inbox", "Inbox/Clients/Northwind", "Sent Items", "Sent Items", "Archive/2023"]


def _message(rng: random.Random, index: int, attachment_bytes: int) -> tuple[str, Message]:
    folder = FOLDERS[index % len(FOLDERS)]
    sender, recipient = rng.sample(PEOPLE, 2)
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * index)
    subject = f"Re: {' '.join(rng.choices(WORDS, k=4))} #{index}"
    body = "\n".join(" ".join(rng.choices(WORDS, k=12)) for _ in range(rng.randint(5, 30)))
    message_id = f"<{index}.bench@northwind-retail.example>"
    headers = None
    if folder != "Sent Items":  # received mail keeps its transport headers, as Outlook does
        headers = (
            f"Received: from mx.example by mail.example; {format_datetime(at + timedelta(seconds=40))}\r\n"
            f"From: {sender[0]} <{sender[1]}>\r\nTo: {recipient[0]} <{recipient[1]}>\r\nSubject: {subject}\r\n"
            f"Date: {format_datetime(at)}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        )
    html = "<html><body><p>" + body.replace("\n", "</p><p>") + "</p></body></html>"
    bodies: dict[str, object] = {"body": body, "html": html}  # Outlook keeps a plain body beside the HTML
    if index % 10 == 3:
        bodies = {"html": html}  # HTML-only, as some clients send
    elif index % 50 == 7:
        bodies = {"rtf": ("{\\rtf1\\ansi " + body.replace("\n", "\\par ") + "}").encode()}
    attachments = ()
    if attachment_bytes or index % 10 == 7:
        size = attachment_bytes or rng.randint(2_000, 40_000)
        attachments = (Attachment(f"attachment-{index}.bin", rng.randbytes(size)),)
    return folder, Message(
        subject=subject, sender=sender, recipients=(Recipient(*recipient),), submitted=at,
        delivered=at + timedelta(seconds=40), headers=headers, message_id=message_id,
        attachments=attachments, **bodies,  # type: ignore[arg-type]
    )


def write_pst(path: Path, count: int, attachment_bytes: int = 0, seed: int = 7) -> None:
    rng = random.Random(seed)
    with PstWriter(path) as pst:
        for index in range(count):
            folder, message = _message(rng, index, attachment_bytes)
            pst.add(folder, message)


def _ours(path: Path) -> None:
    """Child process: every item and attachment, as ingest reads them (no database)."""
    sys.path.insert(0, str(ROOT))
    from ingest.records import Kind
    from ingest.registry import extract
    from ingest.source import Source

    started = time.perf_counter()
    record = extract(Source(filename=path.name, path=path))
    messages = attachments = failed = 0
    for child in record.children:
        messages += child.kind == Kind.EMAIL
        failed += child.status.value == "failed"
        attachments += len(tuple(child.children))
        assert child.data
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "messages": messages, "attachments": attachments, "failed": failed,
                      "status": record.status.value, "peak_mb": _peak_mb()}))


def _floor(path: Path) -> None:
    """Child process: libpff alone (pypff reading every property, recipient and attachment, no
    work on them): the most any Python reader built on it could reach."""
    import pypff

    def walk(folder: object) -> int:
        count = 0
        for index in range(folder.get_number_of_sub_items()):  # type: ignore[attr-defined]
            item = folder.get_sub_item(index)  # type: ignore[attr-defined]
            if item.identifier & 0x1F == 0x02:
                count += walk(item)
            elif item.identifier & 0x1F == 0x04:
                count += 1
                for entry in item.get_record_set(0).entries:
                    entry.data  # noqa: B018  # reading is the point
                for row in item.recipients.record_sets if item.recipients is not None else ():
                    for entry in row.entries:
                        entry.data  # noqa: B018
                for number in range(item.get_number_of_attachments()):
                    attachment = item.get_attachment(number)
                    attachment.read_buffer(attachment.get_size())
        return count

    started = time.perf_counter()
    pst = pypff.file()
    pst.open(str(path))
    messages = walk(pst.get_root_folder())
    print(json.dumps({"seconds": time.perf_counter() - started, "messages": messages, "peak_mb": _peak_mb()}))


def _run(argv: list[str]) -> tuple[float, str, str]:
    """(wall seconds, stdout, stderr) of a command that must succeed."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {done.stderr[-500:]}")
    return seconds, done.stdout, done.stderr


def _peak_mb() -> float:
    """This process's own peak RSS (VmHWM: getrusage would count the parent it was forked from)."""
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024


def _readpst(path: Path, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS MB) of readpst writing ``path`` out as mbox folders under ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    # GNU time reports readpst's own peak (it forks readpst from itself, not from this process)
    seconds, _, err = _run(["/usr/bin/time", "-f", "%M", "readpst", "-q", "-o", str(out), "-r", str(path)])
    return seconds, int(err.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big-mb", type=int, default=0, help="also read a PST of about this size (1 MB attachments)")
    args = parser.parse_args()
    if shutil.which("readpst") is None or not Path("/usr/bin/time").exists():
        raise SystemExit("readpst or /usr/bin/time not found: apt-get install pst-utils time")
    with tempfile.TemporaryDirectory(prefix="bench-pst-") as tmp:
        folder = Path(tmp)
        pst = folder / "bench.pst"
        started = time.perf_counter()
        write_pst(pst, args.messages)
        print(f"PST: {args.messages:,} messages, {pst.stat().st_size / 1e6:.1f} MB "
              f"(written in {time.perf_counter() - started:.1f} s)")
        ours_rates, theirs_rates, ours_peaks, theirs_peaks, floor_rates = [], [], [], [], []
        for round_number in range(1, args.rounds + 1):
            wall, out, _ = _run([sys.executable, __file__, "--child", str(pst)])
            result = json.loads(out)
            assert result["messages"] == args.messages and result["failed"] == 0, result
            ours_rates.append(args.messages / result["seconds"])  # from opening the file to its last item
            ours_peaks.append(result["peak_mb"])
            seconds, peak = _readpst(pst, folder / "out")
            theirs_rates.append(args.messages / seconds)
            theirs_peaks.append(peak)
            floor = json.loads(_run([sys.executable, __file__, "--floor", str(pst)])[1])
            floor_rates.append(floor["messages"] / floor["seconds"])
            print(f"round {round_number}: casefile {ours_rates[-1]:,.0f} msg/s ({ours_peaks[-1]:.0f} MB; "
                  f"{wall:.2f} s with interpreter start-up), readpst {theirs_rates[-1]:,.0f} msg/s "
                  f"({theirs_peaks[-1]:.0f} MB): {ours_rates[-1] / theirs_rates[-1]:.0%}; "
                  f"pypff alone {floor_rates[-1]:,.0f} msg/s")
        ours, theirs = max(ours_rates), max(theirs_rates)
        print(f"best: casefile {ours:,.0f} msg/s, readpst {theirs:,.0f} msg/s: "
              f"{ours / theirs:.0%} (target >= 50%: {'met' if ours >= 0.5 * theirs else 'MISSED'})")
        print(f"pypff alone (reading everything, no work on it): {max(floor_rates):,.0f} msg/s, "
              f"{max(floor_rates) / theirs:.0%} of readpst")
        peak = max(ours_peaks)
        print(f"peak RSS: casefile {peak:.0f} MB (target < 300 MB: {'met' if peak < 300 else 'MISSED'}), "
              f"readpst {max(theirs_peaks):.0f} MB")
        if args.big_mb:
            big = folder / "big.pst"
            count = max(1, args.big_mb)
            write_pst(big, count, attachment_bytes=1 << 20)
            _, out, _ = _run([sys.executable, __file__, "--child", str(big)])
            result = json.loads(out)
            print(f"big PST {big.stat().st_size / 1e9:.2f} GB ({count} messages with 1 MB attachments): "
                  f"{result['seconds']:.1f} s, peak RSS {result['peak_mb']:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _ours(Path(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--floor":
        _floor(Path(sys.argv[2]))
    else:
        main()
