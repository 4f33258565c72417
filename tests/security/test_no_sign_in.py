"""Without [auth], only the machine's own user gets in: loopback bind, loopback connection, no proxy header,
a loopback Host. Everything else gets no role (a forged header can only lower privilege)."""
import pytest

from rm_core.signin import PROXY_HEADERS, is_local_visitor, is_loopback

LOCAL = {"Host": "localhost:8501", "User-Agent": "Chromium"}


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_a_browser_on_the_machine_of_a_loopback_server_is_the_local_user(address):
    assert is_loopback(address)
    assert is_local_visitor(address, LOCAL, None)


@pytest.mark.parametrize("address", [None, "", "0.0.0.0", "::", "192.168.1.20", "workbench.example.com"])
def test_nobody_is_the_local_user_of_a_server_listening_beyond_loopback(address):
    assert not is_local_visitor(address, LOCAL, None)


@pytest.mark.parametrize("header", PROXY_HEADERS + ("x-forwarded-for", "FORWARDED"))
def test_a_proxied_connection_is_never_the_local_user_even_on_loopback(header):
    # whatever the header says (even 127.0.0.1), its presence means a proxy relayed someone else
    assert not is_local_visitor("127.0.0.1", {**LOCAL, header: "127.0.0.1"}, None)


def test_a_connection_from_another_address_is_not_the_local_user():
    assert not is_local_visitor("127.0.0.1", LOCAL, "10.0.0.7")


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:8501", "192.168.1.20:8501"])
def test_a_page_that_rebinds_its_dns_name_to_loopback_is_not_the_local_user(host):
    assert not is_local_visitor("127.0.0.1", {"Host": host}, None)


@pytest.mark.parametrize("host", ["127.0.0.1:8501", "[::1]:8501", "localhost"])
def test_loopback_host_names_are_accepted(host):
    assert is_local_visitor("127.0.0.1", {"Host": host}, None)
