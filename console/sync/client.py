"""The hub's HTTP API as the workstation calls it (httpx, no Qt).

Every failure becomes one of two exceptions with a sentence: `HubUnreachable`
(try again later: refused, dropped, timed out, or the hub said 5xx/429) and
`HubRefused` (the hub understood and said no: retrying the same request will
not help). `HubRefused.status == 401` means the token is no longer good.

Every answer is checked against the protocol (console.sync.protocol) before
anything acts on it: one that is not JSON (an HTML page from a proxy, a
truncated body) or does not follow the protocol is `HubAnswerInvalid`, a kind
of HubUnreachable: a sentence, and the sync tries again later.
"""

import functools
import ssl

import httpx

from console import __version__
from console.sync import protocol
from console.sync.protocol import API, DEFAULT_CHANGES_LIMIT, MAX_CHUNK_BYTES, AnswerInvalid

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The one TLS context of this process, with httpx's defaults (certificates verified against
    certifi's roots, or SSL_CERT_FILE/SSL_CERT_DIR where set). A context takes about 20 ms of CPU
    to build, mostly reading the roots, and httpx builds one for every client it makes: shared,
    the workstation's syncs (a client each) pay that once. A context may serve many connections
    and threads once built."""
    return httpx.create_ssl_context()


class HubUnreachable(Exception):
    """The hub could not be reached or did not answer in time; nothing is lost, sync retries."""


class HubRefused(Exception):
    """The hub answered with a 4xx: `status` and the hub's sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class HubAnswerInvalid(HubUnreachable):
    """The hub's answer does not follow the protocol (not JSON, cut short, wrong shape); sync retries."""


def _sentence(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
    except Exception:
        error = None
    if isinstance(error, str) and error:
        return error[:500]
    return f"The hub answered {response.status_code} {response.reason_phrase}."


class HubClient:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = READ_TIMEOUT, transport=None,
                 auth=None):
        self.url = url.rstrip("/")
        self.token = token
        self._http = httpx.Client(
            base_url=self.url + API,
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
            headers={"User-Agent": f"helpline-console/{__version__}"},
            transport=transport,
            verify=tls_context(),
            auth=auth,  # the enrolled workstation's signature (console.sync.device)
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException:
            raise HubUnreachable(f"The hub at {self.url} did not answer in time.") from None
        except httpx.TransportError as exc:
            raise HubUnreachable(f"The hub at {self.url} cannot be reached ({type(exc).__name__}).") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise HubUnreachable(f"The hub is not able to answer now: {_sentence(response)}")
        if response.status_code >= 400:
            raise HubRefused(response.status_code, _sentence(response))
        return response

    def _answer(self, method: str, path: str, check=None, **kwargs):
        """The JSON answer, checked by `check` (a console.sync.protocol function); HubAnswerInvalid otherwise."""
        response = self._request(method, path, **kwargs)
        try:
            answer = response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise HubAnswerInvalid(f"The hub's answer to {method} {path} was not JSON ({kind}, "
                                   f"{len(response.content)} bytes): perhaps a proxy answered, or the answer was "
                                   "cut short. Nothing was lost; sync will try again.") from None
        try:
            return check(answer) if check else answer
        except AnswerInvalid as exc:
            raise HubAnswerInvalid(f"{exc} (in the answer to {method} {path}) Nothing was lost; sync will try "
                                   "again.") from None

    # the API

    def health(self) -> dict:
        return self._answer("GET", "/health")

    def sign_in(self, operator_id: str, password: str, workstation: str) -> dict:
        answer = self._answer("POST", "/sessions", protocol.check_signed_in, json={
            "operator_id": operator_id, "password": password, "workstation": workstation})
        self.token = answer["token"]
        return answer

    def enrol(self, code: str, public_key: str) -> dict:
        return self._answer("POST", "/workstations", protocol.check_enrolled,
                            json={"code": code, "public_key": public_key})

    def sign_out(self) -> None:
        self._request("DELETE", "/sessions")

    def push(self, workstation: str, items: list[dict], audit_head: dict | None) -> dict:
        return self._answer("POST", "/push", lambda answer: protocol.check_push_reply(answer, items), json={
            "workstation": workstation,
            "items": [{"kind": i["kind"], "id": i["id"], "body": i["body"]} for i in items],
            "audit_head": audit_head,
        })

    def changes(self, after: int, limit: int = DEFAULT_CHANGES_LIMIT) -> dict:
        return self._answer("GET", "/changes", lambda page: protocol.check_changes_page(page, after),
                            params={"after": after, "limit": limit})

    def register(self) -> dict | None:
        try:
            return self._answer("GET", "/register", protocol.check_register_entry)
        except HubRefused as exc:
            if exc.status == 404:
                return None
            raise

    def snapshot_chunk(self, seq: int, offset: int, length: int = MAX_CHUNK_BYTES, what: str = "snapshot") -> bytes:
        """A slice of register `seq`'s snapshot (or, with what="delta", of its delta)."""
        data = self._request("GET", f"/register/{seq}/{what}", params={"offset": offset, "length": length}).content
        if len(data) > length:
            raise HubAnswerInvalid(f"The hub sent {len(data)} bytes of register {seq}'s {what} where at most "
                                   f"{length} were asked for; the download will be tried again.")
        return data

    def publish_message(self, text: str) -> dict:
        """A supervisor publishes the next version of the live message (console/hub/live.py)."""
        return self._answer("POST", "/message", protocol.check_live_message, json={"text": text})

    def get(self, path: str, **params) -> dict | list:
        """A supervisor's read (stats, audit, dashboard…), by its path under /v1."""
        return self._answer("GET", path, params={k: v for k, v in params.items() if v is not None})
