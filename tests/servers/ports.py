"""Free loopback ports, so several servers (and several test runs) never collide."""

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now; the OS picks it from the ephemeral range."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
