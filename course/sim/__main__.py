"""Command line: `python -m course.sim serve` runs the OpenAI-compatible simulator server.

python -m course.sim serve --port 8765 --faults rate_limit=0.2,timeout=0.05 --fault-seed 7
python -m course.sim serve --script rate_limit,rate_limit,ok --retry-after-s 2
"""

from __future__ import annotations

import argparse
import sys

from course.errors import ConfigurationError
from course.sim.faults import FAULT_KINDS, FaultPlan
from course.sim.server import base_url, make_server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course.sim", description="The course's offline LLM simulator."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the OpenAI-compatible server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="per-call fault rates, e.g. rate_limit=0.2,timeout=0.05; kinds: "
        + ", ".join(FAULT_KINDS),
    )
    serve.add_argument("--fault-seed", type=int, default=0, help="seed of the fault sequence")
    serve.add_argument(
        "--script",
        default="",
        metavar="KINDS",
        help="faults for the first calls, in order, e.g. rate_limit,rate_limit,ok",
    )
    serve.add_argument("--real-latency", action="store_true", help="really sleep the latency")
    serve.add_argument("--hang-s", type=float, default=30.0, help="how long a timeout hangs")
    serve.add_argument("--retry-after-s", type=float, default=1.0, help="Retry-After on a 429")
    serve.add_argument("--spike-s", type=float, default=8.0, help="extra latency of a spike")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the server has no authentication)",
    )
    serve.add_argument("--verbose", action="store_true", help="log one line per request")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    script = [kind.strip() for kind in args.script.split(",") if kind.strip()]
    try:
        plan = FaultPlan.parse(
            args.faults,
            script=script,
            seed=args.fault_seed,
            retry_after_s=args.retry_after_s,
            spike_s=args.spike_s,
            hang_s=args.hang_s,
        )
    except ValueError as exc:
        parser.error(str(exc))
    try:
        httpd = make_server(
            plan,
            host=args.host,
            port=args.port,
            real_time=args.real_latency,
            allow_remote=args.allow_remote,
            verbose=args.verbose,
        )
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port} ({exc}); try another --port.",
            file=sys.stderr,
        )
        return 1
    faults = args.faults or "none"
    models = ", ".join(httpd.simulator.served_model_ids())
    print(
        f"Course simulator serving {base_url(args.host, httpd.server_address[1])} "
        f"(models: {models}; faults: {faults}{'; script: ' + args.script if script else ''}). "
        "Ctrl-C stops it.",
        flush=True,
    )
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.stopping.set()
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
