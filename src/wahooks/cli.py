"""The `wahooks` command: parse arguments, load configuration, start. No logic here."""

import argparse
import asyncio
import os
import sys
from pathlib import Path

from wahooks import __version__
from wahooks.config import Settings, describe_options, load_settings
from wahooks.errors import ConfigError, Unauthorized


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    return load_settings(os.environ, args.config, **overrides)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from wahooks.app import create_app
    from wahooks.http_limits import timed_http_protocol
    from wahooks.logs import setup_logging
    from wahooks.preflight import run_preflight

    settings = _settings(args, host=args.host, port=args.port)
    run_preflight(settings)  # one line and exit 2, before anything is migrated or started
    setup_logging(settings.log_level, json=settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        log_config=None,
        http=timed_http_protocol(settings.http_header_timeout_s, settings.http_body_timeout_s),
        # Protocol-level pings find dead peers, so their unacknowledged frames are released.
        ws_ping_interval=settings.socket_ping_interval_s,
        ws_ping_timeout=settings.socket_ping_timeout_s,
        ws_per_message_deflate=settings.socket_per_message_deflate,
        # A media reply carries its file as base64 in one frame.
        ws_max_size=settings.inline_body_bytes,
    )
    return 0


def _tenant_create(args: argparse.Namespace) -> int:
    from wahooks.tenants import create_tenant_with_key

    settings = _settings(args)
    tenant_id, key = asyncio.run(create_tenant_with_key(settings, args.name))
    print(f"tenant:  {tenant_id}")
    print(f"api key: {key}")
    print("The key is shown once; store it now. Use it as: Authorization: Bearer <key>")
    return 0


def _operator_key_create(args: argparse.Namespace) -> int:
    from wahooks.tenants import create_operator_key

    key = asyncio.run(create_operator_key(_settings(args), args.label))
    print(f"operator key: {key}")
    print("The key is shown once; store it now. It manages tenants, numbers and keys through")
    print("the API: Authorization: Bearer <key>")
    return 0


def _when(timestamp: float | None) -> str:
    from wahooks.times import iso_time

    return "-" if timestamp is None else iso_time(timestamp)


def _tenant_list(args: argparse.Namespace) -> int:
    from wahooks.tenants import list_tenants

    for tenant in asyncio.run(list_tenants(_settings(args))):
        print(f"{tenant.id}  {_when(tenant.created_at)}  {tenant.name}")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from wahooks.tenants import list_keys

    tenant_id = getattr(args, "tenant_id", None)
    keys = asyncio.run(list_keys(_settings(args), tenant_id))
    if keys is None:
        print(f"no tenant {tenant_id}", file=sys.stderr)
        return 1
    for key in keys:
        state = "revoked " + _when(key.revoked_at) if key.revoked_at else "live"
        print(f"{key.id}  {key.prefix}…  {_when(key.created_at)}  {state}  {key.label or ''}")
    return 0


def _key_revoke(args: argparse.Namespace) -> int:
    from wahooks.errors import LastKey
    from wahooks.tenants import revoke_key

    tenant_id = getattr(args, "tenant_id", None)
    try:
        revoked = asyncio.run(revoke_key(_settings(args), tenant_id, args.key_id))
    except LastKey as exc:
        print(f"not revoked: {exc}", file=sys.stderr)
        return 1
    if revoked is None:
        owner = f"tenant {tenant_id}" if tenant_id else "the operator"
        print(f"no key {args.key_id} of {owner}", file=sys.stderr)
        return 1
    print(f"revoked {revoked.id} ({revoked.prefix}…)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from wahooks.check import run_check

    return run_check(_settings(args))


def _secret_key_generate(args: argparse.Namespace) -> int:
    from wahooks.secrets import SETTING, Keyring

    key = Keyring.generate_key()
    print(key)
    print(f"Give it to every gateway process as {SETTING}; to rotate, put a new key first "
          "and keep the old ones after it (comma-separated).", file=sys.stderr)  # fmt: skip
    return 0


def _config_reference(args: argparse.Namespace) -> int:
    from wahooks.config.reference import configuration_markdown

    sys.stdout.write(configuration_markdown())
    return 0


def _sim(args: argparse.Namespace) -> int:
    from wahooks.sim import command

    return command.run(args)


def _listen(args: argparse.Namespace) -> int:
    from wahooks.listen import Forwarder, ListenOptions
    from wahooks.logs import setup_logging

    api_key = args.api_key or os.environ.get("WAHOOKS_API_KEY")
    if not api_key:
        raise ConfigError("give --api-key or set WAHOOKS_API_KEY (a pk_live_… key)")
    setup_logging("INFO", json=False)
    options = ListenOptions(
        gateway_url=args.gateway or _settings(args).public_url,
        api_key=api_key,
        forward_to=args.forward_to,
        conversation_id=args.conversation_id,
    )
    asyncio.run(Forwarder(options).run())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from wahooks.demo.run import run_demo

    return run_demo(keep_data=args.keep_data, dashboard=args.dashboard, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wahooks", description=__doc__)
    parser.add_argument("--version", action="version", version=f"wahooks {__version__}")
    parser.add_argument(
        "--config", type=Path, default=None, help="TOML config file (else $WAHOOKS_CONFIG)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the gateway (REST API, Meta ingress, delivery workers)",
        description="Run the gateway: REST API, Meta ingress at /ingress/meta and the "
        "delivery dispatcher. The database is migrated on start.",
        epilog="Configuration (environment variables; a TOML file with the same keys in "
        "lower case may be given with --config):\n" + describe_options(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default=None, help="listen address [default: 127.0.0.1]")
    serve.add_argument("--port", type=int, default=None, help="listen port [default: 8080]")
    serve.set_defaults(func=_serve)

    tenant = commands.add_parser("tenant", help="manage tenants")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True)
    create = tenant_commands.add_parser(
        "create", help="create a tenant and print its first API key (shown once)"
    )
    create.add_argument("name", help="the tenant's display name")
    create.set_defaults(func=_tenant_create)
    tenant_commands.add_parser("list", help="list the tenants").set_defaults(func=_tenant_list)
    tenant_keys = tenant_commands.add_parser(
        "keys", help="list a tenant's API keys (prefixes and labels; keys are never shown again)"
    )
    tenant_keys.add_argument("tenant_id")
    tenant_keys.set_defaults(func=_keys_list)
    tenant_revoke = tenant_commands.add_parser("revoke-key", help="revoke one of a tenant's keys")
    tenant_revoke.add_argument("tenant_id")
    tenant_revoke.add_argument("key_id")
    tenant_revoke.set_defaults(func=_key_revoke)

    operator_key = commands.add_parser("operator-key", help="manage the operator's API keys")
    operator_key_commands = operator_key.add_subparsers(dest="operator_key_command", required=True)
    operator_create = operator_key_commands.add_parser(
        "create",
        help="create an operator key (op_live_…) and print it (shown once); on a fresh "
        "database this is how the first one is made",
    )
    operator_create.add_argument("--label", default=None, help="a name for the key")
    operator_create.set_defaults(func=_operator_key_create)
    operator_key_commands.add_parser("list", help="list the operator's keys").set_defaults(
        func=_keys_list
    )
    operator_revoke = operator_key_commands.add_parser(
        "revoke", help="revoke an operator key (never the last live one)"
    )
    operator_revoke.add_argument("key_id")
    operator_revoke.set_defaults(func=_key_revoke)

    checking = commands.add_parser(
        "check",
        help="check the settings, the database (migrated as serve would) and each number's "
        "access token; exit 0 if all pass, 1 if a number fails, 2 for a setting or database",
    )
    checking.set_defaults(func=_check)

    secret_key = commands.add_parser(
        "secret-key", help="keys that encrypt stored secrets (WAHOOKS_SECRET_KEYS)"
    )
    secret_key_commands = secret_key.add_subparsers(dest="secret_key_command", required=True)
    generate = secret_key_commands.add_parser(
        "generate", help="print a new key for WAHOOKS_SECRET_KEYS"
    )
    generate.set_defaults(func=_secret_key_generate)

    reference = commands.add_parser(
        "config-reference",
        help="print docs/configuration.md: every option, generated from the settings model",
    )
    reference.set_defaults(func=_config_reference)

    sim = commands.add_parser(
        "sim",
        help="run the WhatsApp Cloud API simulator",
        description="A fake of Meta's Cloud API: sends signed notifications to a gateway "
        "and serves the Graph API endpoints the gateway calls.",
    )
    from wahooks.sim import command as sim_command

    sim_command.add_arguments(sim)
    sim.set_defaults(func=_sim)

    listen = commands.add_parser(
        "listen",
        help="receive deliveries over the socket and forward them to a local URL",
        description="Connects to the gateway's socket (with acknowledgements) and POSTs "
        "each frame to --forward-to; a frame is acknowledged only once that URL answered "
        "2xx, so nothing is lost while the local server is down.",
    )
    listen.add_argument("--forward-to", required=True, help="local URL that receives the POSTs")
    listen.add_argument(
        "--gateway", default=None, help="gateway base URL [default: WAHOOKS_PUBLIC_URL]"
    )
    listen.add_argument("--api-key", default=None, help="tenant key [default: $WAHOOKS_API_KEY]")
    listen.add_argument(
        "--conversation-id", default=None, help="only this conversation (no queue drain)"
    )
    listen.set_defaults(func=_listen)

    demo = commands.add_parser(
        "demo",
        help="run gateway + simulator + sample receiver and send every message type",
        description="Starts the gateway on a temporary SQLite database, the Cloud API "
        "simulator and a sample receiving app, sends one message of every inbound type "
        "through the whole path and prints what the receiver got.",
    )
    demo.add_argument(
        "--keep-data", action="store_true", help="keep the temporary database afterwards"
    )
    demo.add_argument(
        "--dashboard",
        action="store_true",
        help="keep running afterwards and print the dashboard's address and a key to sign in",
    )
    demo.add_argument(
        "--port", type=int, default=0, help="the gateway's port (default: a free one)"
    )
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (ConfigError, Unauthorized) as exc:
        print(f"wahooks: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
