"""Oversized bodies against the server's memory (issue 14, finding 7: "four 50 MB bodies to
/api/v1/match took the server from 156 to 463 MiB").

Starts uvicorn (one worker, rules and database as ``huiqi serve``) in a subprocess on loopback,
reads its resident memory (VmRSS, and the peak VmHWM), sends four bodies of ``--mb`` MB to
``POST /api/v1/match`` — with a Content-Length, and chunked (no length) — and prints the answers and
the memory after. With the request-body limit the server refuses each one before reading it (or as
soon as the bytes read pass 1 MB), so memory stays where it was.

Run: .venv/bin/python benchmarks/bench_body_limit.py [--mb 50] [--bodies 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api_match import free_port, start_server  # noqa: E402


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--bodies", type=int, default=4)
    args = parser.parse_args()
    size = args.mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="huiqi-bench-body-") as data_dir:
        port = free_port()
        proc = start_server(port, data_dir, workers=1)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as c:
                c.post("/api/v1/match", json={"enterprise": {"registered_district": "金山区"}})  # warm
                before = rss_mib(proc.pid)
                print(f"server before: RSS {before[0]:.0f} MiB (peak {before[1]:.0f} MiB)")
                answers = []

                def send(i: int) -> None:
                    body = b'{"enterprise": {"name": "' + b"x" * size + b'"}}'
                    r = httpx.post(
                        f"{base}/api/v1/match", content=body, headers={"content-type": "application/json"}, timeout=120
                    )
                    answers.append(("length", r.status_code))

                def send_chunked(i: int) -> None:
                    def chunks():
                        for _ in range(args.mb):
                            yield b" " * (1024 * 1024)

                    try:
                        r = httpx.post(
                            f"{base}/api/v1/match",
                            content=chunks(),
                            headers={"content-type": "application/json"},
                            timeout=120,
                        )
                        answers.append(("chunked", r.status_code))
                    except httpx.HTTPError as exc:  # the server answered 413 and closed while we still sent
                        answers.append(("chunked", type(exc).__name__))

                threads = [threading.Thread(target=send, args=(i,)) for i in range(args.bodies)]
                threads += [threading.Thread(target=send_chunked, args=(i,)) for i in range(args.bodies)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                after = rss_mib(proc.pid)
                print(
                    f"{args.bodies} × {args.mb} MB with Content-Length, {args.bodies} × {args.mb} MB chunked: answers {sorted(answers)}"
                )
                print(
                    f"server after:  RSS {after[0]:.0f} MiB (peak {after[1]:.0f} MiB); growth {after[0] - before[0]:+.0f} MiB"
                )
                ok = c.post("/api/v1/match", json={"enterprise": {"registered_district": "金山区"}})
                print(f"a normal match afterwards: {ok.status_code}")
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
