"""Passwords, signed session cookies, the CSRF checks and the login throttle's logic, without
a server (the desk's use of them over HTTP is in test_editor.py)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from liveblog.auth import (CSRF_HEADER, LOGIN_COOKIE, SESSION_COOKIE, LoginThrottle, _signer,
                           check_csrf, check_login_form, check_password, hash_password, login_form, session_id)
from liveblog.errors import Forbidden, TooManyAttempts
from liveblog.settings import Settings

SETTINGS = Settings(secret_key="one secret")


def request(cookies: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookies:
        raw.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


# -- passwords ----------------------------------------------------------------------


def test_a_password_hash_checks_only_its_own_password():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2") and "correct horse" not in hashed
    assert check_password(hashed, "correct horse battery")
    assert not check_password(hashed, "correct horse batteries")
    assert hash_password("correct horse battery") != hashed  # salted
    assert not check_password("not a hash at all", "correct horse battery")  # refused, not an error


# -- the session cookie ---------------------------------------------------------------


def test_a_signed_session_cookie_gives_back_its_session_id():
    cookie = _signer(SETTINGS, "session").sign("session-123").decode()
    assert session_id(request({SESSION_COOKIE: cookie}), SETTINGS) == "session-123"


def test_forged_or_foreign_session_cookies_give_no_session():
    cookie = _signer(SETTINGS, "session").sign("session-123").decode()
    assert session_id(request(), SETTINGS) is None
    assert session_id(request({SESSION_COOKIE: "session-123"}), SETTINGS) is None  # unsigned
    assert session_id(request({SESSION_COOKIE: cookie.replace("session-123", "session-124")}), SETTINGS) is None
    assert session_id(request({SESSION_COOKIE: cookie}), Settings(secret_key="another secret")) is None
    # A login form's token is signed for another purpose: it does not pass as a session.
    login_token = _signer(SETTINGS, "login").sign("session-123").decode()
    assert session_id(request({SESSION_COOKIE: login_token}), SETTINGS) is None


# -- CSRF ----------------------------------------------------------------------------


def test_a_change_carries_the_sessions_csrf_token_in_its_header_or_its_form():
    check_csrf("the-token", request(headers={CSRF_HEADER: "the-token"}), None)
    check_csrf("the-token", request(), {"csrf": "the-token"})
    for sent, form in [(None, None), (None, {}), ("other", None), (None, {"csrf": "other"}),
                       (None, {"csrf": ["the-token"]}), ("", {"csrf": ""})]:
        with pytest.raises(Forbidden):
            check_csrf("the-token", request(headers={CSRF_HEADER: sent} if sent is not None else None), form)


def test_the_login_form_token_is_bound_to_its_cookie():
    nonce, token = login_form(request(), SETTINGS)
    check_login_form(request({LOGIN_COOKIE: nonce}), token, SETTINGS)
    assert login_form(request({LOGIN_COOKIE: nonce}), SETTINGS)[0] == nonce  # a reload keeps the cookie's value
    other_nonce, other_token = login_form(request(), SETTINGS)
    assert other_nonce != nonce
    for cookies, sent in [({}, token), ({LOGIN_COOKIE: other_nonce}, token), ({LOGIN_COOKIE: nonce}, "forged"),
                          ({LOGIN_COOKIE: nonce}, login_form(request({LOGIN_COOKIE: nonce}),
                                                             Settings(secret_key="another secret"))[1])]:
        with pytest.raises(Forbidden):
            check_login_form(request(cookies), sent, SETTINGS)


# -- the login throttle, on a fake clock ------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_throttle_slows_a_name_and_refuses_it_only_from_the_same_address():
    clock = FakeClock()
    throttle = LoginThrottle(60, clock)
    limit = LoginThrottle.PAIR.refuse_after
    delays = [throttle.attempt("Ada", "10.0.0.1")[0] for _ in range(limit)]
    assert delays[: LoginThrottle.PAIR.slow_after] == [0] * LoginThrottle.PAIR.slow_after
    assert all(d > 0 for d in delays[LoginThrottle.PAIR.slow_after:])
    with pytest.raises(TooManyAttempts) as refused:
        throttle.attempt(" ada ", "10.0.0.1")  # the same name, however it is typed
    assert 0 < refused.value.retry_after <= 61
    delay, _ = throttle.attempt("Ada", "10.9.9.9")  # elsewhere the name is only slowed
    assert delay > 0
    delay, _ = throttle.attempt("Grace", "10.9.9.9")  # other names are not held up
    assert delay == 0
    clock.now += 61
    delay, attempt = throttle.attempt("Ada", "10.0.0.1")
    assert delay == 0
    throttle.succeeded("Ada", "10.0.0.1", attempt)
    assert throttle.attempt("Ada", "10.0.0.1")[0] == 0


def test_failures_for_a_name_from_many_addresses_never_refuse_it():
    throttle = LoginThrottle(60, FakeClock())
    for n in range(10 * LoginThrottle.PAIR.refuse_after):
        throttle.attempt("Ada", f"10.0.{n // 250}.{n % 250}")
    delay, _ = throttle.attempt("Ada", "10.9.9.9")
    assert delay == LoginThrottle.SLOW_SECONDS


def test_throttle_counts_an_attempt_before_its_password_is_checked():
    throttle = LoginThrottle(60, FakeClock())
    # Attempts fired at once, none finished yet: they still count against the name here.
    for _ in range(LoginThrottle.PAIR.refuse_after):
        throttle.attempt("Ada", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        throttle.attempt("Ada", "10.0.0.1")


def test_an_address_is_refused_after_its_own_limit_whatever_the_names():
    clock = FakeClock()
    throttle = LoginThrottle(60, clock)
    delays = [throttle.attempt(f"Editor {n}", "10.0.0.1")[0] for n in range(LoginThrottle.ADDRESS.refuse_after)]
    assert delays[: LoginThrottle.ADDRESS.slow_after] == [0] * LoginThrottle.ADDRESS.slow_after
    assert all(d == LoginThrottle.SLOW_SECONDS for d in delays[LoginThrottle.ADDRESS.slow_after:])
    with pytest.raises(TooManyAttempts) as refused:
        throttle.attempt("Someone new", "10.0.0.1")
    assert refused.value.status_code == 429 and str(refused.value) == "Too many failed logins. Try again in about 1 min."
    assert throttle.attempt("Someone new", "10.0.0.2")[0] == 0  # another address is not held up
    clock.now += 60
    assert throttle.attempt("Someone new", "10.0.0.1")[0] == 0


def test_refused_attempts_are_not_counted_so_the_window_ends():
    clock = FakeClock()
    throttle = LoginThrottle(60, clock)
    for _ in range(LoginThrottle.PAIR.refuse_after):
        throttle.attempt("Ada", "10.0.0.1")
    for _ in range(50):
        clock.now += 1
        with pytest.raises(TooManyAttempts):
            throttle.attempt("Ada", "10.0.0.1")
    clock.now += 10.5  # 60.5 s after the failures, however often it was refused meanwhile
    assert throttle.attempt("Ada", "10.0.0.1")[0] == 0


def test_success_takes_back_only_its_own_attempt_from_the_address():
    throttle = LoginThrottle(60, FakeClock())
    for n in range(LoginThrottle.ADDRESS.refuse_after - 1):
        throttle.attempt(f"Editor {n}", "10.0.0.1")
    _, mine = throttle.attempt("Ada", "10.0.0.1")
    throttle.succeeded("Ada", "10.0.0.1", mine)
    throttle.attempt("Grace", "10.0.0.1")  # the address is one short of its limit again
    with pytest.raises(TooManyAttempts):
        throttle.attempt("Grace", "10.0.0.1")
