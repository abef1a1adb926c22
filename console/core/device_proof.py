"""What an enrolled workstation signs with its device key (Ed25519), in the
one form the workstation (console.sync.device) and the hub
(console.hub.workstations) both build.

At sign-in the workstation signs the hub's one-time challenge; afterwards it
signs every request it sends with its token, so a token copied off the
machine is no use without the key that stays in its OS keystore.
"""

import hashlib

WORKSTATION_HEADER = "X-Workstation"
SIGNATURE_HEADER = "X-Workstation-Signature"
CHALLENGE_HEADER = "X-Workstation-Challenge"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign_in_message(challenge: str, workstation: str, body: bytes) -> bytes:
    """The bytes signed for a sign-in: the hub's challenge, the enrolled
    workstation, and the sign-in request's body (operator and cache)."""
    return "\n".join(("helpline-sign-in", challenge, workstation, _digest(body))).encode("utf-8")


def request_message(method: str, target: str, body: bytes, token: str) -> bytes:
    """The bytes signed for a request made with a token: method, path with its
    query, the body, and the token it is sent with."""
    return "\n".join(("helpline-request", method.upper(), target, _digest(body),
                      _digest(token.encode("utf-8")))).encode("utf-8")
