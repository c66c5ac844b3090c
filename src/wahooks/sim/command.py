"""`wahooks sim`: argument parsing and the serve-until-Ctrl-C loop (cli.py calls these)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal

from wahooks.sim.server import Simulator
from wahooks.sim.settings import SimSettings

# A fixed port for the standalone simulator, so the gateway's number config can point at it.
CLI_DEFAULT_PORT = 9090

_FLAGS = {
    "media_url_ttl_s": "--media-url-ttl",
    "status_delays_s": "--status-delays",
    "send_statuses": "--no-statuses",
}


def _flag(name: str) -> str:
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def _delays(text: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of seconds: {text}") from exc
    if any(d < 0 for d in delays):
        raise argparse.ArgumentTypeError("delays must be >= 0")
    return delays


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per SimSettings field, its help text and default taken from the field."""
    for field in dataclasses.fields(SimSettings):
        default = CLI_DEFAULT_PORT if field.name == "port" else field.default
        help_text = field.metadata.get("help", "")
        flag = _flag(field.name)
        if field.name == "send_statuses":
            parser.add_argument(
                flag,
                dest=field.name,
                action="store_false",
                help="do not POST sent/delivered/read statuses after sends",
            )
        elif field.name == "status_delays_s":
            assert isinstance(default, tuple)
            shown = ",".join(str(d) for d in default)
            parser.add_argument(
                flag,
                dest=field.name,
                type=_delays,
                default=default,
                metavar="S,S,S",
                help=f"{help_text} (default: {shown})",
            )
        else:
            kind = type(default)
            parser.add_argument(
                flag,
                dest=field.name,
                type=kind,
                default=default,
                metavar=field.name.split("_")[-1].upper() if kind is not str else None,
                help=f"{help_text} (default: {default})",
            )


def settings_from_args(args: argparse.Namespace) -> SimSettings:
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(SimSettings)}
    return SimSettings(**values)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; 0 on a clean stop, 1 if the port cannot be bound."""
    try:
        asyncio.run(_serve(settings_from_args(args)))
    except OSError as exc:
        print(f"wahooks sim: cannot listen: {exc}")
        return 1
    return 0


async def _serve(settings: SimSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Simulator(settings) as sim:
        print(f"Simulated Cloud API on {sim.base_url}, Graph API base URL {sim.graph_base_url}")
        print(f"Notifications go to {settings.gateway_url} (signed with --app-secret)")
        print(f"Number settings: curl {sim.base_url}/_sim/info")
        print(
            f"Send: curl -X POST {sim.base_url}/_sim/messages "
            """-d '{"from":"15551230001","name":"Jane","type":"text","body":"hi"}'"""
        )
        await stop.wait()
        print("Stopping the simulator")
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
