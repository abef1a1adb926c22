"""Hub session tokens, kept in the OS keystore (never in a file), one per
operator and hub, and the sign-in that gets one."""

from console.store.keystore import open_keystore
from console.sync.client import HubClient, HubRefused


def _entry(hub_url: str, operator: str) -> str:
    return f"hub-token:{operator}@{hub_url.rstrip('/')}"


def load_token(hub_url: str, operator: str) -> str | None:
    return open_keystore().get_secret(_entry(hub_url, operator))


def save_token(hub_url: str, operator: str, token: str) -> None:
    open_keystore().put_secret(_entry(hub_url, operator), token)


def forget_token(hub_url: str, operator: str) -> None:
    open_keystore().forget(_entry(hub_url, operator))


def hub_client(hub_url: str, operator: str, workstation: str, password: str | None = None, **options) -> HubClient:
    """A client holding this operator's token: the one in the keystore, or a
    new one from signing in with `password`. HubRefused(401) when neither works."""
    token = load_token(hub_url, operator)
    client = HubClient(hub_url, token, **options)
    if token is None:
        if password is None:
            client.close()
            raise HubRefused(401, f"Sign in to the hub as {operator} first: no session token is kept for it.")
        answer = client.sign_in(operator, password, workstation)
        save_token(hub_url, operator, answer["token"])
    return client


class HubSession:
    """Makes a HubClient for the sync loop, as one operator of this workstation.

    It uses the operator's token from the keystore; with none, it signs in
    once with the password handed over at the window's sign-in, keeps the new
    token in the keystore and forgets the password. A token the hub no longer
    takes (expired, revoked) is forgotten, and the operator is asked to sign
    in again."""

    def __init__(self, hub_url: str, operator: str, workstation: str, password: str | None = None, **options):
        self.hub_url, self.operator, self.workstation = hub_url, operator, workstation
        self._password = password
        self.options = options

    def __call__(self) -> HubClient:
        client = hub_client(self.hub_url, self.operator, self.workstation, self._password, **self.options)
        self._password = None
        return client

    def signed_out(self) -> None:
        forget_token(self.hub_url, self.operator)

    def offer_password(self, password: str) -> None:
        self._password = password
