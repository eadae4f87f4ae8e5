"""A throwaway Dovecot IMAP server: its own config, port, user and maildir in a temp dir.

Nothing of the system's Dovecot is used (`dovecot -c CONF -F`), so several can run side by side
and the machine needs only the `dovecot-imapd` package.
"""

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tests.servers.ports import free_port
from tests.servers.tls import TlsFiles

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

# Dovecot's own post-login list, less what the tests switch off (IDLE, MOVE).
_BASE_CAPABILITIES = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT "
    "CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT "
    "SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY LITERAL+ SPECIAL-USE"
)

_CONF = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
# Dovecot re-checks an idling mailbox on its own every 30 s by default; far longer here, so a
# message that arrives within a test's wait can only have come by an IDLE push.
mailbox_idle_check_interval = 10 mins
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
mail_location = maildir:{root}/mail/%u
# Throwaway mail: no fsync, so thousands of messages go in fast.
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  chroot = {login_chroot}
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
  }}
}}
protocol imap {{
  # Only what is advertised: enough to make a client believe there is no IDLE or MOVE.
  imap_capability = {capabilities}
}}
"""


@dataclass(frozen=True)
class _Accounts:
    """Which system users Dovecot's processes and mail run as."""

    internal_user: str
    login_user: str
    mail_uid: int
    mail_gid: int
    login_chroot: str


def _accounts() -> _Accounts:
    if os.geteuid() != 0:
        # An unprivileged Dovecot runs everything as us and cannot chroot its login processes.
        me = pwd.getpwuid(os.geteuid()).pw_name
        return _Accounts(me, me, os.getuid(), os.getgid(), "")
    # Dovecot refuses to run mail processes as root ("userdb returned 0 as uid"), so as root
    # the mail belongs to nobody and the daemons use the users the Debian package creates.
    nobody = pwd.getpwnam("nobody")
    return _Accounts("dovecot", "dovenull", nobody.pw_uid, nobody.pw_gid, "login")


class Dovecot:
    """One Dovecot instance; `start`/`stop` may be called repeatedly (same port, same mail)."""

    host = "127.0.0.1"
    user = "consulta"
    password = "secret"

    def __init__(
        self, root: Path, *, idle: bool = True, move: bool = True, tls: TlsFiles | None = None
    ) -> None:
        self.root = root
        self.port = free_port(self.host)
        # With `tls`, `port` also offers STARTTLS and `tls_port` speaks TLS from the start.
        self.tls_port = free_port(self.host) if tls else 0
        self.conf = root / "dovecot.conf"
        self._process: asyncio.subprocess.Process | None = None
        self._write_config(idle=idle, move=move, tls=tls)

    def _write_config(self, *, idle: bool, move: bool, tls: TlsFiles | None) -> None:
        accounts = _accounts()
        capabilities = _BASE_CAPABILITIES + (" IDLE" if idle else "") + (" MOVE" if move else "")
        ssl = f"ssl = yes\nssl_cert = <{tls.cert}\nssl_key = <{tls.key}" if tls else "ssl = no"
        self.conf.write_text(
            _CONF.format(
                host=self.host,
                port=self.port,
                tls_port=self.tls_port,
                ssl=ssl,
                root=self.root,
                capabilities=capabilities,
                **accounts.__dict__,
            )
        )
        home = self.root / "home" / self.user
        (self.root / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{accounts.mail_uid}:{accounts.mail_gid}"
            f"::{home}::\n"
        )
        for directory in (self.root / "mail", self.root / "home"):
            directory.mkdir()
            os.chown(directory, accounts.mail_uid, accounts.mail_gid)
        # The auth process (another user) must read the passwd file through this directory.
        self.root.chmod(0o755)
        (self.root / "passwd").chmod(0o644)

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "dovecot",
            "-F",
            "-c",
            str(self.conf),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            # Its own process group, so `stop(graceful=False)` can take every child with it.
            start_new_session=True,
        )
        try:
            await asyncio.wait_for(self._wait_greeting(), START_TIMEOUT)
        except BaseException:
            await self.stop(graceful=False)
            raise

    async def _wait_greeting(self) -> None:
        """Until the port accepts and the server says `* OK` (the IMAP greeting)."""
        while True:
            assert self._process is not None
            if self._process.returncode is not None:
                raise RuntimeError(f"dovecot exited early:\n{self.log}")
            with contextlib.suppress(OSError):
                reader, writer = await asyncio.open_connection(self.host, self.port)
                try:
                    if (await reader.readline()).startswith(b"* OK"):
                        return
                finally:
                    writer.close()
                    await writer.wait_closed()
            await asyncio.sleep(0.05)

    async def stop(self, *, graceful: bool = True) -> None:
        """Shut down. Graceful: every process gets SIGTERM, so clients hear `* BYE` first;
        otherwise SIGKILL, and clients just see their connection reset."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        # The whole process group: the master alone would leave running imap processes,
        # still serving their clients, behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM if graceful else signal.SIGKILL)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        await _wait_group_gone(process.pid)
        # A killed master leaves its pid file; remove it so `start` never trips on it.
        (self.root / "run" / "master.pid").unlink(missing_ok=True)

    async def restart(self, *, graceful: bool = True) -> None:
        await self.stop(graceful=graceful)
        await self.start()

    async def doveadm(self, *args: str, stdin: bytes | None = None) -> str:
        process = await asyncio.create_subprocess_exec(
            "doveadm",
            "-c",
            str(self.conf),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate(stdin)
        if process.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)}: {err.decode(errors='replace')}")
        return out.decode(errors="replace")

    async def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver a message as the MTA would (straight into the maildir, no IMAP session)."""
        await self.doveadm("save", "-u", self.user, "-m", mailbox, stdin=raw)

    async def uids(self, mailbox: str = "INBOX") -> list[int]:
        out = await self.doveadm("search", "-u", self.user, "mailbox", mailbox, "all")
        return sorted(int(line.split()[1]) for line in out.splitlines() if line.strip())

    async def keywords(self, uid: int, mailbox: str = "INBOX") -> set[str]:
        out = await self.doveadm(
            "fetch", "-u", self.user, "flags", "mailbox", mailbox, "uid", str(uid)
        )
        match = re.search(r"flags: ?(.*)", out)
        return set(match.group(1).split()) if match else set()

    async def uidvalidity(self, mailbox: str = "INBOX") -> int:
        out = await self.doveadm("mailbox", "status", "-u", self.user, "uidvalidity", mailbox)
        return int(out.split("=")[1])

    async def set_uidvalidity(self, value: int, mailbox: str = "INBOX") -> None:
        await self.doveadm(
            "mailbox", "update", "-u", self.user, "--uid-validity", str(value), mailbox
        )

    async def create_mailbox(self, mailbox: str) -> None:
        await self.doveadm("mailbox", "create", "-u", self.user, mailbox)

    async def kick(self) -> None:
        """Drop every IMAP connection of the user, as an admin (or a crash) would."""
        await self.doveadm("kick", self.user)


async def _wait_group_gone(group: int) -> None:
    """Until no process of the group is left alive: a surviving child keeps the old sockets,
    and a new master that finds them refuses to start ("Dovecot is already running?")."""
    async with asyncio.timeout(STOP_TIMEOUT):
        while _alive_in_group(group):
            await asyncio.sleep(0.01)


def _alive_in_group(group: int) -> bool:
    # /proc, not kill(-group, 0): that counts zombies too, which wait for init to reap them.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid pgrp …; comm may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


@contextlib.asynccontextmanager
async def running_dovecot(
    *, idle: bool = True, move: bool = True, tls: TlsFiles | None = None
) -> AsyncIterator[Dovecot]:
    if shutil.which("dovecot") is None:
        raise RuntimeError("Dovecot is missing: apt-get install -y dovecot-imapd")
    # A short path of our own: Dovecot's unix sockets live under it and sun_path is 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    try:
        server = Dovecot(root, idle=idle, move=move, tls=tls)
        await server.start()
        try:
            yield server
        finally:
            await server.stop(graceful=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)
