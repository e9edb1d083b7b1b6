"""Print a RabbitMQ password hash for deploy/rabbitmq/definitions.json.

RabbitMQ's default scheme (rabbit_password_hashing_sha256): base64 of a 4-byte salt followed
by SHA-256(salt + UTF-8 password). Use it to replace the development passwords before a
real deployment:

    python deploy/rabbitmq/hash_password.py 'a long random password'
"""
from __future__ import annotations

import base64
import hashlib
import os
import sys


def password_hash(password: str, salt: bytes | None = None) -> str:
    salt = os.urandom(4) if salt is None else salt
    if len(salt) != 4:
        raise ValueError("salt must be 4 bytes")
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def check_password(password: str, encoded: str) -> bool:
    raw = base64.b64decode(encoded)
    return password_hash(password, raw[:4]) == encoded


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    print(password_hash(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
