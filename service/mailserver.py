"""`consulta mailserver`: the development mail server (SMTP in, IMAP out, .eml files), run
until SIGTERM or Ctrl-C. docker-compose runs it next to `consulta serve`."""

import asyncio
import logging
import signal
from pathlib import Path

import click

from service import logs
from service.cli_support import run
from service.devmail import CAPTURED, DevMailServer


async def _serve(server: DevMailServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        click.echo(
            f"consulta mailserver: SMTP on {server.host}:{server.smtp_port}, IMAP on "
            f"{server.host}:{server.imap_port} (user {server.user}). Mail for "
            f"{server.service_address} and its plus-addresses goes to INBOX, the rest to "
            f"{CAPTURED}; every message is also written to {server.folder}/. Ctrl-C to stop.",
            err=True,
        )
        await stop.wait()
    click.echo("consulta mailserver: stopped.", err=True)


@click.command("mailserver")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 in a container).",
)
@click.option("--smtp-port", default=2525, show_default=True, help="SMTP port (0: a free one).")
@click.option("--imap-port", default=1143, show_default=True, help="IMAP port (0: a free one).")
@click.option(
    "--user", default="consulta", show_default=True, help="IMAP login of the service's mailbox."
)
@click.option("--password", default="consulta", show_default=True, help="Its IMAP password.")
@click.option(
    "--address",
    default="consulta@consulta.example",
    show_default=True,
    help="The service's address: mail to it and to its plus-addresses (local+token@domain) "
    "lands in the user's INBOX.",
)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("mail-out"),
    show_default=True,
    help="Where every message is written as a numbered .eml file.",
)
def mailserver(
    host: str,
    smtp_port: int,
    imap_port: int,
    user: str,
    password: str,
    address: str,
    folder: Path,
) -> None:
    """Run a development mail server: SMTP in, IMAP out, every message kept as a file.

    Any sender, any recipient, nothing relayed, nothing encrypted, all in memory: for
    development and demonstrations only. Point the service at it with CONSULTA_SMTP__HOST,
    CONSULTA_SMTP__PORT, CONSULTA_SMTP__SECURITY=none, CONSULTA_IMAP__HOST,
    CONSULTA_IMAP__PORT, CONSULTA_IMAP__SECURITY=none, CONSULTA_IMAP__USERNAME,
    CONSULTA_IMAP__PASSWORD, and CONSULTA_MAIL__ADDRESS / __REPLY_LOCAL / __DOMAIN matching
    --address.
    """
    logs.configure()  # text on a terminal, JSON lines in a container
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command
    try:
        server = DevMailServer(
            folder=folder,
            host=host,
            smtp_port=smtp_port,
            imap_port=imap_port,
            user=user,
            password=password,
            service_address=address,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--address") from None
    run(_serve(server))


COMMANDS = [mailserver]
