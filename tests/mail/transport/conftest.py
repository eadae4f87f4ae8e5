"""Real servers for the transport tests: aiosmtpd and Dovecot, each on a free loopback port."""

from collections.abc import AsyncIterator

import pytest

from tests.mail.transport.helpers import RecordingSleep
from tests.servers.dovecot import Dovecot, running_dovecot
from tests.servers.smtpd import SmtpServer, running_smtpd
from tests.servers.tls import TlsFiles, make_self_signed


@pytest.fixture
async def smtpd() -> AsyncIterator[SmtpServer]:
    async with running_smtpd() as server:
        yield server


@pytest.fixture
async def dovecot() -> AsyncIterator[Dovecot]:
    async with running_dovecot() as server:
        yield server


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed(tmp_path_factory.mktemp("tls"))
