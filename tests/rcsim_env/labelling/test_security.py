"""The security rules on their own, over generated hosts, tokens, origins and bodies (real requests)."""

import json
import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from rcsim_env.labelling.app import create_app
from rcsim_env.labelling.security import (
    MIN_TOKEN_LENGTH,
    SECURITY_HEADERS,
    LabellingConfigError,
    PageSecurity,
    RequestRefused,
    check_bind,
    check_origin,
    is_loopback,
    json_body,
)

TOKEN = "correct-horse-battery-staple-42"
LABEL = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12)
TOP_LEVEL = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=6)
HOST_NAMES = st.builds(
    lambda parts, tld: ".".join([*parts, tld]), st.lists(LABEL, min_size=1, max_size=3), TOP_LEVEL
)
PUBLIC_HOSTS = HOST_NAMES | st.sampled_from(
    ["0.0.0.0", "192.168.1.20", "10.0.0.1", "::", "fe80::1", "8.8.8.8", ""]
)
LOOPBACK_HOSTS = st.sampled_from(["localhost", "127.0.0.1", "::1", "[::1]", " LOCALHOST "]) | st.builds(
    "127.{}.{}.{}".format, *[st.integers(0, 255)] * 3
)
SHORT_OR_UNPRINTABLE_TOKENS = st.text(max_size=MIN_TOKEN_LENGTH - 1) | st.builds(
    lambda text, control: text + control,
    st.text(string.ascii_letters, min_size=MIN_TOKEN_LENGTH),
    st.sampled_from(["\n", "\t", "\x00", "\x7f"]),
)
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_.~"
GOOD_TOKENS = st.builds(  # what secrets.token_urlsafe makes: uniformly random characters, 32 to 64 of them
    lambda seed, size: "".join(random.Random(seed).choices(TOKEN_ALPHABET, k=size)),
    st.integers(0, 2**64),
    st.integers(32, 64),
)


def real_request(method="POST", host="127.0.0.1:8765", headers=None, **kwargs):
    """A real werkzeug request (what Flask hands the checks) built from an HTTP-level description."""
    return EnvironBuilder(
        method=method, base_url=f"http://{host}/", headers=headers or {}, **kwargs
    ).get_request()


@given(LOOPBACK_HOSTS)
def test_loopback_hosts_bind_without_a_token(host):
    assert is_loopback(host)
    check_bind(host, None)


@given(PUBLIC_HOSTS)
def test_other_hosts_need_a_token(host):
    assert not is_loopback(host)
    with pytest.raises(LabellingConfigError, match="refusing to bind the labelling page"):
        check_bind(host, None)
    check_bind(host, TOKEN)


@given(PUBLIC_HOSTS | LOOPBACK_HOSTS, SHORT_OR_UNPRINTABLE_TOKENS)
def test_short_or_unprintable_tokens_are_refused_on_any_host(host, token):
    with pytest.raises(LabellingConfigError, match=f"at least {MIN_TOKEN_LENGTH} printable characters"):
        check_bind(host, token)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(HOST_NAMES, GOOD_TOKENS)
def test_host_header_names_are_refused_without_a_token_only(store, name, token):
    open_page = PageSecurity(store)
    with pytest.raises(RequestRefused) as refused:
        open_page.check_host(f"{name}:8765")
    assert refused.value.status == 403 and name in refused.value.message
    PageSecurity(store, host="0.0.0.0", token=token).check_host(f"{name}:8765")  # the token guards it


@given(HOST_NAMES, st.sampled_from(["http", "https"]), st.sampled_from(["Origin", "Referer"]))
def test_posts_from_other_sites_are_refused(name, scheme, header):
    request = real_request(headers={header: f"{scheme}://{name}.evil/page"})
    with pytest.raises(RequestRefused, match="cross-site request refused") as refused:
        check_origin(request)
    assert refused.value.status == 403
    check_origin(real_request(headers={header: "http://127.0.0.1:8765/"}))  # this page itself


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda inner: st.lists(inner)))
def test_json_bodies_that_are_not_objects_are_refused(value):
    request = real_request(data=json.dumps(value), content_type="application/json")
    with pytest.raises(RequestRefused) as refused:
        json_body(request)
    assert refused.value.status == 400


@given(st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=10), max_size=5))
def test_json_objects_pass_and_other_content_types_do_not(body):
    assert json_body(real_request(data=json.dumps(body), content_type="application/json")) == body
    with pytest.raises(RequestRefused) as refused:
        json_body(real_request(data=json.dumps(body), content_type="text/plain"))
    assert refused.value.status == 415


def test_health_check_and_static_files_skip_the_checks_and_still_get_the_headers(task_store):
    app = create_app(task_store, host="0.0.0.0", token=TOKEN)
    client = app.test_client()
    assert client.get("/api/progress").status_code == 401  # everything else needs the token
    for path in ["/healthz", "/static/label.js", "/static/favicon.svg"]:
        response = client.get(path, headers={"Host": "anything.example"})
        assert response.status_code == 200, path
        assert all(response.headers[name] == value for name, value in SECURITY_HEADERS.items())
        assert "Set-Cookie" not in response.headers


# ---------------------------------------------------------------- tokens that are easy to guess
VISIBLE_ASCII = string.ascii_letters + string.digits + string.punctuation
LONG = st.integers(MIN_TOKEN_LENGTH, 64)
SPACES_ONLY = st.builds(lambda count: " " * count, LONG)
WITH_WHITESPACE = st.builds(
    lambda token, at, space: token[:at] + space + token[at:],
    GOOD_TOKENS,
    st.integers(0, 32),
    st.sampled_from([" ", "\t", "\n", "\u00a0", "\u2003", "\u3000"]),
)
ONE_CHARACTER = st.builds(lambda char, count: char * count, st.sampled_from(VISIBLE_ASCII), LONG)
REPEATED_BLOCK = st.builds(
    lambda block, count: block * count,
    st.text(st.sampled_from(VISIBLE_ASCII), min_size=2, max_size=6),
    st.integers(8, 20),
)
RUNS = st.builds(  # abcdefgh..., 0123..., ZYXW..., ~}|{...
    lambda start, step, count: "".join(chr(start + step * index) for index in range(count)),
    st.integers(33 + 40, 126 - 40),
    st.sampled_from([1, -1]),
    st.integers(MIN_TOKEN_LENGTH, 40),
)
FEW_CHARACTERS = st.builds(
    lambda alphabet, seed, count: "".join(random.Random(seed).choices(alphabet, k=count)),
    st.text(st.sampled_from(VISIBLE_ASCII), min_size=1, max_size=7),
    st.integers(0, 2**32),
    LONG,
)
WEAK_TOKENS = st.one_of(SPACES_ONLY, WITH_WHITESPACE, ONE_CHARACTER, REPEATED_BLOCK, RUNS, FEW_CHARACTERS)


@settings(max_examples=400)
@given(WEAK_TOKENS, PUBLIC_HOSTS | LOOPBACK_HOSTS)
def test_guessable_tokens_are_refused_saying_why(token, host):
    with pytest.raises(LabellingConfigError) as refused:
        check_bind(host, token)
    message = str(refused.value)
    reasons = ("holds whitespace", "too easy to guess", "printable characters")
    assert any(reason in message for reason in reasons), message
    assert "secrets.token_urlsafe" in message  # and how to make a good one


@settings(max_examples=200)
@given(GOOD_TOKENS, PUBLIC_HOSTS)
def test_random_tokens_are_accepted(token, host):
    check_bind(host, token)


@pytest.mark.parametrize(
    "token", [" " * 20, "a" * 32, "abcdefghijklmnopqrstuvwxyz", "0123456789012345", "abababababababababab"]
)
def test_serve_refuses_a_guessable_token_before_touching_any_file(token, tmp_path, monkeypatch, capsys):
    from rcsim_env.labelling import cli

    database = tmp_path / "labels.sqlite"
    for argv, environment in [(["--token", token], None), ([], token)]:
        if environment is None:
            monkeypatch.delenv("RCSIM_LABEL_TOKEN", raising=False)
        else:
            monkeypatch.setenv("RCSIM_LABEL_TOKEN", environment)
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["serve", "--host", "0.0.0.0", "--db", str(database), *argv])
        assert exit_info.value.code == 2
        error = capsys.readouterr().err
        assert "holds whitespace" in error or "too easy to guess" in error
    assert not database.exists()
