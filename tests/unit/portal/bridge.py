"""The portal's transport for tests against a real service: the paths a predicate picks go to
that service's Flask test client (the real app on the session's local store), everything else
to the fakes of :class:`FakeGateway` (both kinds recorded in ``calls``). What the pages send is then what the service takes, and
what it answers is what the pages show."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from tests.unit.portal.fake_gateway import Call, FakeGateway


class Bridge(FakeGateway):
    def __init__(self, service_client, is_real: Callable[[str], bool]):
        super().__init__()
        self.service_client = service_client
        self.is_real = is_real

    def request(self, method, url, headers=None, json=None, params=None, data=None, files=None, timeout=None,
                allow_redirects=True):
        path = url[len(self.base_url):]
        if not self.is_real(path.split("?")[0]):
            return super().request(method, url, headers=headers, json=json, params=params, data=data)
        self.calls.append(Call(method, path.split("?")[0], dict(headers or {}), json, params, data, files))
        query = ("?" + urlencode(params, doseq=True)) if params else ""
        return Answer(self.service_client.open(path + query, method=method, headers=headers, json=json))


class Answer:
    """A test client's response as the portal's transport answers."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = response.get_data()
