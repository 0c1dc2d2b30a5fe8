"""Property checks: no secret survives redaction, whatever it looks like and wherever it sits."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.log import redact_text, redact_value

TOKENS = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=12, max_size=40)
HOSTS = st.sampled_from(["smtp.example.com", "smtp.qq.com", "127.0.0.1:2525", "mail.edu.cn"])
NOISE = st.text(alphabet="发送失败 :,;()", max_size=30)  # cannot contain a token by chance


@settings(max_examples=200)
@given(token=TOKENS, host=HOSTS, before=NOISE, after=NOISE)
def test_password_in_a_mail_url_is_hidden(token: str, host: str, before: str, after: str) -> None:
    text = redact_text(f"{before} mailtos://bot:{token}@{host}?to=a@b.cn {after}")
    assert token not in text and host.split(":")[0] in text


@settings(max_examples=200)
@given(token=TOKENS, scheme=st.sampled_from(["wecombot", "dingtalk", "slack", "tgram", "feishu", "bark"]))
def test_token_schemes_are_hidden(token: str, scheme: str) -> None:
    assert token not in redact_text(f"send failed for {scheme}://{token}/more/{token[::-1]}")


@settings(max_examples=200)
@given(token=TOKENS, key=st.sampled_from(["key", "access_token", "token", "sign", "password"]))
def test_query_secrets_are_hidden(token: str, key: str) -> None:
    assert token not in redact_text(f"POST https://example.gov.cn/hook?x=1&{key}={token}&y=2")


@given(token=TOKENS, field=st.sampled_from(["password", "smtp_password", "api_token", "secret", "key"]))
def test_secret_fields_are_hidden_however_nested(token: str, field: str) -> None:
    value = redact_value("event", {"outer": [{field: token}], field: token})
    assert token not in repr(value)


@given(st.text(max_size=200))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once
