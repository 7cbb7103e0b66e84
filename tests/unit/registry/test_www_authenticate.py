"""WWW-Authenticate parsing and scope arithmetic (what makes the push-scope upgrade work)."""

from __future__ import annotations

from goship.registry.challenge import (
    Challenge,
    covers,
    merge_scopes,
    parse_challenges,
    preferred_challenge,
    pull_scope,
    push_scope,
)


def test_docker_hub_bearer_challenge() -> None:
    [challenge] = parse_challenges(
        ['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
         'scope="repository:library/alpine:pull"']
    )
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.service == "registry.docker.io"
    assert challenge.scopes == ("repository:library/alpine:pull",)


def test_insufficient_scope_with_several_scopes_and_spaces() -> None:
    [challenge] = parse_challenges(
        ['Bearer  realm = "http://127.0.0.1:9/token" , service="svc",'
         ' scope="repository:a/b:pull,push repository:c:pull", error="insufficient_scope"']
    )
    assert challenge.realm == "http://127.0.0.1:9/token"
    assert challenge.scopes == ("repository:a/b:pull,push", "repository:c:pull")
    assert challenge.error == "insufficient_scope"


def test_quoted_values_keep_commas_and_escapes() -> None:
    [challenge] = parse_challenges(['Basic realm="a, \\"quoted\\" realm", charset="UTF-8"'])
    assert challenge == Challenge("basic", (("realm", 'a, "quoted" realm'), ("charset", "UTF-8")))


def test_several_challenges_in_one_header_and_across_headers() -> None:
    challenges = parse_challenges(
        ['Negotiate, Basic realm="registry"', "Bearer realm=https://t.example/token,service=x"]
    )
    assert [c.scheme for c in challenges] == ["negotiate", "basic", "bearer"]
    assert challenges[2].realm == "https://t.example/token"
    assert challenges[2].service == "x"


def test_bearer_is_preferred_over_basic() -> None:
    challenges = parse_challenges(['Basic realm="r"', 'Bearer realm="https://t/token"'])
    preferred = preferred_challenge(challenges)
    assert preferred is not None and preferred.scheme == "bearer"
    assert preferred_challenge(parse_challenges(["Negotiate"])) is None


def test_empty_and_garbage_headers_do_not_crash() -> None:
    assert parse_challenges(["", " , ", '="x"']) == []


def test_merge_scopes_unions_actions_per_repository() -> None:
    merged = merge_scopes(
        [push_scope("target")], [pull_scope("source")], ["repository:target:pull"]
    )
    assert merged == ("repository:source:pull", "repository:target:pull,push")


def test_merge_scopes_drops_malformed_scopes() -> None:
    assert merge_scopes(["nonsense", "repository:a:pull"]) == ("repository:a:pull",)


def test_a_push_token_covers_pull_but_not_a_mount_source() -> None:
    granted = [push_scope("target")]
    assert covers(granted, [pull_scope("target")])
    assert not covers(granted, [push_scope("target"), pull_scope("source")])
    assert not covers([pull_scope("target")], [push_scope("target")])
