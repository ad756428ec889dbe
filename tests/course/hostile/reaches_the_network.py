"""Writes a key into the machine's Redis (127.0.0.1:6379, db 15)."""
import socket

try:
    with socket.create_connection(("127.0.0.1", 6379), timeout=2) as connection:
        connection.sendall(b"SELECT 15\r\nSET course-hostile-key owned\r\n")
        connection.recv(100)
except OSError:
    pass


def add(a, b):
    raise NotImplementedError
