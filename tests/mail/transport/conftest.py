"""Real servers for the transport tests: aiosmtpd and Dovecot, each on a free loopback port."""

import pytest

from tests.mail.transport.helpers import RecordingSleep
from tests.servers.tls import TlsFiles, make_self_signed


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed(tmp_path_factory.mktemp("tls"))
