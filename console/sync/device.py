"""This machine as a workstation enrolled on a hub: its Ed25519 key pair (the
private half only in the OS keystore, never in a file), the id the hub gave
it, and the signature it puts on every request (console.core.device_proof).

The enrolment belongs to the machine's user, not to one cache: a cache
replaced on an enrolled machine syncs at once under the same enrolment.
"""

import base64
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from console.core.clock import SERVER_TIME_HEADER, offset_seconds
from console.core.device_proof import (CHALLENGE_HEADER, SIGNATURE_HEADER, WORKSTATION_HEADER, request_message,
                                       sign_in_message)
from console.core.timeutil import TimeFormatError, now, parse_instant
from console.store.enrolment import keep_enrolment, read_enrolment
from console.sync.protocol import API


class Device:
    """An enrolled workstation: its id on the hub, its private key and when
    the hub first enrolled it (ISO 8601, as the hub answered; None if unknown)."""

    def __init__(self, workstation: str, key: Ed25519PrivateKey, enrolled_at: str | None = None):
        self.workstation = workstation
        self._key = key
        self.enrolled_at = enrolled_at

    @classmethod
    def generate(cls) -> "Device":
        return cls("", Ed25519PrivateKey.generate())

    def public_key(self) -> str:
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._key.sign(message)).decode("ascii")

    def _private_text(self) -> str:
        raw = self._key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                      serialization.NoEncryption())
        return base64.b64encode(raw).decode("ascii")

    def auth(self) -> "DeviceAuth":
        return DeviceAuth(self)

    def stream_auth(self) -> "StreamAuth":
        """For a streamed answer (the live channel): signs without reading the answer's body first."""
        return StreamAuth(self)


def load_device(hub_url: str) -> Device | None:
    """This machine's enrolment on that hub, from the OS keystore, or None."""
    kept = read_enrolment(hub_url)
    if not kept:
        return None
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(kept["key"]))
    return Device(kept["workstation"], key, kept.get("enrolled_at"))


def save_device(hub_url: str, device: Device) -> None:
    keep_enrolment(hub_url, {"workstation": device.workstation, "key": device._private_text(),
                             "enrolled_at": device.enrolled_at})


def enrol(hub_url: str, code: str, *, transport=None, timeout: float = 30.0) -> Device:
    """Enrol this machine on the hub with an administrator's one-time code:
    a new key pair, its public half sent with the code, the private half kept
    in the OS keystore with the workstation's id and first enrolment time the
    hub answers (checked: console.sync.protocol.check_enrolled). Raises
    HubRefused, HubUnreachable or HubAnswerInvalid (console.sync.client);
    nothing is kept then."""
    from console.sync.client import HubClient

    device = Device.generate()
    with HubClient(hub_url, timeout=timeout, transport=transport) as client:
        answer = client.enrol(code, device.public_key())
    device.workstation, device.enrolled_at = answer["workstation"], answer["enrolled_at"]
    save_device(hub_url, device)
    return device


class DeviceAuth(httpx.Auth):
    """Signs each request with the device key: a sign-in (POST /v1/sessions)
    signs a challenge it first asks the hub for; any request with a bearer
    token signs the request and the token. It reads the hub's clock off each
    answer: `clock_offset` is how far the hub is ahead of this machine."""

    requires_request_body = True
    requires_response_body = True

    def __init__(self, device: Device):
        self.device = device
        self.clock_offset: float | None = None

    def auth_flow(self, request: httpx.Request):
        sent = now()
        response = yield from self._signed(request)
        stamp = response.headers.get(SERVER_TIME_HEADER)
        if stamp:
            try:
                self.clock_offset = offset_seconds(parse_instant(stamp), sent, now())
            except TimeFormatError:
                pass  # an answer without a readable time tells nothing about the clock

    def _signed(self, request: httpx.Request):
        request.headers[WORKSTATION_HEADER] = self.device.workstation
        path = request.url.raw_path.decode("ascii")
        body = request.content
        if request.method == "POST" and urlsplit(path).path.endswith(f"{API}/sessions"):
            challenge_url = request.url.copy_with(raw_path=f"{API}/sessions/challenge".encode("ascii"))
            asked = yield httpx.Request("POST", challenge_url, headers={WORKSTATION_HEADER: self.device.workstation,
                                                                          "User-Agent": request.headers.get(
                                                                              "User-Agent", "")})
            if asked.status_code != 200:
                # the hub's refusal (not enrolled, revoked) is the sign-in's answer
                return (yield request)
            challenge = asked.json()["challenge"]
            request.headers[CHALLENGE_HEADER] = challenge
            request.headers[SIGNATURE_HEADER] = self.device.sign(sign_in_message(challenge, self.device.workstation,
                                                                                 body))
        else:
            authorization = request.headers.get("Authorization", "")
            if authorization.startswith("Bearer "):
                token = authorization.removeprefix("Bearer ")
                request.headers[SIGNATURE_HEADER] = self.device.sign(request_message(request.method, path, body,
                                                                                     token))
        return (yield request)


class StreamAuth(DeviceAuth):
    """DeviceAuth for a request whose answer is a stream that never ends of
    itself (GET /v1/live): httpx would wait for the whole body before handing
    the answer over if the auth asked to read it, so this one does not (a
    sign-in, which reads the hub's challenge, never goes through it)."""

    requires_response_body = False
