"""Load benchmark for `kb serve`: N concurrent clients walk cohort pages (first: 50, with
evidence) for a fixed time and the run prints requests/s, median / p95 / p99 latency and the
error count. The client is a small asyncio HTTP/1.1 keep-alive client, so that it takes little
of the CPU the server needs. Loopback only.

    python -m bench.api_load --serve /tmp/c20k-store --clients 50 --seconds 60 [--workers 2]
    python -m bench.api_load --url http://127.0.0.1:8000 --clients 50 --seconds 60

With `--serve STORE` it starts `kb serve` on a free port itself, waits for /health, and stops
it afterwards. Each client walks every page of one cohort after another (its own order), so
pages of small and large cohorts, first pages and deep pages are all in the mix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PAGE = """query Page($where: CohortFilter!, $after: String) {
  cohort(where: $where, first: 50, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { studyId subjectId } evidence { text start end certainty section } }
  }
}"""

COHORTS = [
    {"allOf": [{"observation": "effusion"}]},
    {"allOf": [{"observation": "effusion", "locatedAt": ["left", "base"]}]},
    {"allOf": [{"observation": "effusion"}], "noneOf": [{"observation": "pneumothorax", "certainty": ["ABSENT"]}]},
    {"anyOf": [{"observation": "atelectasis"}, {"observation": "opacity", "certainty": ["UNCERTAIN"]}]},
    {"allOf": [{"observation": "cardiomegaly"}, {"observation": "effusion", "certainty": ["ABSENT"]}]},
    {"allOf": [{"observation": "opacity", "modifiers": ["patchy"]}]},
    {"allOf": [{"observation": "pneumothorax", "certainty": ["PRESENT", "UNCERTAIN"]}]},
    {"noneOf": [{"observation": "normal"}]},
]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


class Http:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads JSON back."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict) -> tuple[int, dict]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        await self.writer.drain()
        status, payload = await self._response()
        return status, json.loads(payload)

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value:
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        parts = []
        while size := int((await self.reader.readline()).strip(), 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return status, b"".join(parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None


async def client(n: int, http: Http, stop: float, tally: Tally) -> None:
    order = COHORTS[n % len(COHORTS):] + COHORTS[:n % len(COHORTS)]
    while time.perf_counter() < stop:
        for where in order:
            after = None
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    status, body = await http.post("/graphql", {"query": PAGE, "variables": {"where": where, "after": after}})
                except (OSError, asyncio.IncompleteReadError, ValueError) as err:
                    tally.error(f"{type(err).__name__}: {err}")
                    http.close()
                    break
                tally.latencies.append(time.perf_counter() - t)
                if status != 200 or body.get("errors"):
                    tally.error(f"HTTP {status}: {str(body)[:300]}")
                    break
                page = body["data"]["cohort"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]


async def run(url: str, clients: int, seconds: float, api_key: str) -> Tally:
    parts = urlsplit(url)
    headers = {"X-API-Key": api_key} if api_key else {}
    tally = Tally()
    https = [Http(parts.hostname or "127.0.0.1", parts.port or 80, headers) for _ in range(clients)]
    stop = time.perf_counter() + seconds
    await asyncio.gather(*(client(n, h, stop, tally) for n, h in enumerate(https)))
    for h in https:
        h.close()
    return tally


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process and its worker processes have used so far; 0 when
    unknown (not Linux)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except (OSError, TypeError):
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(c)) for c in children)


def report(tally: Tally, clients: int, seconds: float, server_cpu: float) -> None:
    lat = sorted(x * 1000 for x in tally.latencies)
    if not lat:
        print(f"no request completed; errors: {tally.errors} {tally.first_error}")
        return
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
    print(f"{clients} clients, {seconds:g} s: {len(lat)} requests, {len(lat) / seconds:.1f} requests/s, "
          f"median {statistics.median(lat):.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms, "
          f"max {lat[-1]:.0f} ms, errors {tally.errors}")
    if server_cpu:
        print(f"server CPU: {server_cpu / len(lat) * 1000:.2f} ms per request, "
              f"{server_cpu / seconds:.2f} cores busy; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs")
    if tally.first_error:
        print(f"first error: {tally.first_error}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: str, port: int, workers: int) -> subprocess.Popen:
    kb = os.path.join(os.path.dirname(sys.executable), "kb")
    server = subprocess.Popen([kb, "serve", "--store", store, "--port", str(port), "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    import urllib.request

    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"kb serve exited: {server.stderr.read() if server.stderr else ''}") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("kb serve did not answer /health in 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="A running kb serve, e.g. http://127.0.0.1:8000")
    target.add_argument("--serve", metavar="STORE", help="Start kb serve over this store for the run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5, help="Seconds of load before measuring")
    parser.add_argument("--api-key", default=os.environ.get("KB_API_KEY", ""))
    parser.add_argument("--server-pid", type=int, help="With --url: report this process's CPU use")
    parser.add_argument("--workers", type=int, default=1, help="With --serve: kb serve --workers")
    args = parser.parse_args()
    server = None
    url, pid = args.url, args.server_pid
    if args.serve:
        port = free_port()
        server = start_server(args.serve, port, args.workers)
        url, pid = f"http://127.0.0.1:{port}", server.pid
    try:
        if args.warmup:
            asyncio.run(run(url, args.clients, args.warmup, args.api_key))
        cpu = cpu_seconds(pid)
        tally = asyncio.run(run(url, args.clients, args.seconds, args.api_key))
        report(tally, args.clients, args.seconds, cpu_seconds(pid) - cpu if cpu else 0.0)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    raise SystemExit(1 if tally.errors else 0)


if __name__ == "__main__":
    main()
