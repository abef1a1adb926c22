"""Hub session tokens, kept in the OS keystore (never in a file), one per
operator, hub and cache, and the sign-in that gets one from this machine's
enrolment on the hub (console.sync.device)."""

from console.store.keystore import open_keystore
from console.sync.client import HubClient, HubRefused, HubUnreachable
from console.sync.device import load_device


def _entry(hub_url: str, operator: str, workstation: str) -> str:
    return f"hub-token:{operator}@{hub_url.rstrip('/')}#{workstation}"


def load_token(hub_url: str, operator: str, workstation: str) -> str | None:
    return open_keystore().get_secret(_entry(hub_url, operator, workstation))


def save_token(hub_url: str, operator: str, workstation: str, token: str) -> None:
    open_keystore().put_secret(_entry(hub_url, operator, workstation), token)


def forget_token(hub_url: str, operator: str, workstation: str) -> None:
    open_keystore().forget(_entry(hub_url, operator, workstation))


def device_client(hub_url: str, token: str | None = None, **options) -> HubClient:
    """A client signing its requests as this machine's enrolment on the hub;
    HubRefused(403) when the machine is not enrolled there."""
    device = load_device(hub_url)
    if device is None:
        with HubClient(hub_url, **options) as probe:
            probe.health()  # an unreachable hub is said as such first
        raise HubRefused(403, f"This workstation is not enrolled on the hub at {hub_url}: ask an administrator for "
                              "an enrolment code (`hub workstations enrol`), then give it to `sync --enrol CODE` "
                              "or the setup assistant.")
    auth = device.auth()
    client = HubClient(hub_url, token, auth=auth, **options)
    client.device_auth = auth  # its clock_offset: how far the hub's clock is ahead of this machine's
    return client


def hub_client(hub_url: str, operator: str, workstation: str, password: str | None = None, **options) -> HubClient:
    """A client holding this operator's token: the one in the keystore, or a
    new one from signing in with `password`. HubRefused(401) when neither works."""
    token = load_token(hub_url, operator, workstation)
    client = device_client(hub_url, token, **options)
    if token is None:
        if password is None:
            client.close()
            raise HubRefused(401, f"Sign in to the hub as {operator} first: no session token is kept for it.")
        try:
            answer = client.sign_in(operator, password, workstation)
        except Exception:
            client.close()
            raise
        save_token(hub_url, operator, workstation, answer["token"])
    return client


def hub_reader(hub_url: str, operator: str, workstation: str, **options):
    """read(path, **params) → the hub's answer to GET /v1/<path>, with the operator's token from the
    keystore, signed as this workstation: a supervisor's reads, from a thread of a view's own."""
    def read(path: str, **params):
        with device_client(hub_url, load_token(hub_url, operator, workstation), **options) as client:
            return client.get(path, **params)

    return read


def sign_out(hub_url: str, operator: str, workstation: str, **options) -> None:
    """End the operator's session: revoked on the hub when it can be reached,
    and deleted from the keystore either way."""
    token = load_token(hub_url, operator, workstation)
    if token is None:
        return
    try:
        with device_client(hub_url, token, **options) as client:
            client.sign_out()
    except (HubRefused, HubUnreachable):
        pass  # already ended there, or the hub is away: the token leaves this machine all the same
    finally:
        forget_token(hub_url, operator, workstation)


class HubSession:
    """Makes a HubClient for the sync loop, as one operator of this workstation.

    It uses the operator's token from the keystore; with none, it signs in
    once with the password handed over at the window's sign-in, keeps the new
    token in the keystore and forgets the password. A token the hub no longer
    takes (expired, revoked) is forgotten, and the operator is asked to sign
    in again. Signing out (or locking) revokes the token on the hub."""

    def __init__(self, hub_url: str, operator: str, workstation: str, password: str | None = None, **options):
        self.hub_url, self.operator, self.workstation = hub_url, operator, workstation
        self._password = password
        self.options = options
        self._auth = None

    def __call__(self) -> HubClient:
        client = hub_client(self.hub_url, self.operator, self.workstation, self._password, **self.options)
        self._password = None
        self._auth = client.device_auth
        return client

    @property
    def clock_offset(self) -> float | None:
        """How far the hub's clock was ahead of this machine's at the last answer (None before any)."""
        return self._auth.clock_offset if self._auth else None

    def signed_out(self) -> None:
        """The token is no good any more (the hub said 401): forget it here."""
        forget_token(self.hub_url, self.operator, self.workstation)

    def sign_out(self) -> None:
        """The operator signed out or locked the window: end the session on the hub and here."""
        self._password = None
        sign_out(self.hub_url, self.operator, self.workstation, **self.options)

    def offer_password(self, password: str) -> None:
        self._password = password
