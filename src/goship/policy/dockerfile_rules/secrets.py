"""GS501, GS502, GS506: secrets written into the Dockerfile, passed through ARG or ENV, or
copied from the build context.

Everything in ARG, ENV and the build context ends up readable by anyone who can pull the image
(ENV in its config, ARG in its history, files in its layers), even when a later instruction
"removes" it. Build secrets belong in `RUN --mount=type=secret`.

A name counts as secret-looking by its words (TOKEN, SECRET, PASSWORD, API_KEY, ...), unless
its last word says it only points at a secret (DB_PASSWORD_FILE, TOKEN_URL, AWS_ACCESS_KEY_ID).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from goship.policy.dockerfile import Instruction, Stage, variables
from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.interface import Finding, Severity

_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z0-9]+(?![a-z])")
_SECRET_WORDS = frozenset({"PASSWORD", "PASSWD", "PASSPHRASE", "PASS", "PWD", "TOKEN", "SECRET",
                           "CREDENTIAL", "CREDENTIALS", "APIKEY", "PRIVATEKEY", "AUTHTOKEN"})
_KEY_KINDS = frozenset({"API", "PRIVATE", "ACCESS", "SECRET", "ENCRYPTION", "SIGNING", "MASTER",
                        "CLIENT", "LICENSE"})
_POINTER_WORDS = frozenset({"FILE", "PATH", "DIR", "URL", "URI", "NAME", "ID", "TYPE", "HEADER",
                            "ENDPOINT", "LENGTH", "TTL", "EXPIRY", "EXPIRES", "HOST", "PORT", "USER",
                            "USERNAME", "ENABLED", "REQUIRED", "MODE", "FORMAT", "VERSION", "REF",
                            "SERVER", "SCOPE", "AUDIENCE", "ISSUER", "HASH", "POLICY", "KEYRING"})
# Credentials that look the same wherever they appear, and URLs with a password in them.
_KNOWN_SECRET = re.compile(
    r"AKIA[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}"
    r"|glpat-[A-Za-z0-9_-]{20}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|npm_[A-Za-z0-9]{36}"
    r"|sk_live_[A-Za-z0-9]{20,}"
    r"|-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"
    r"|_authToken=(?![$\s\"'])[^\s\"']+"
)
_KINDS = (("AKIA", "an AWS access key"), ("gh", "a GitHub token"), ("glpat", "a GitLab token"),
          ("xox", "a Slack token"), ("npm_", "an npm token"), ("sk_live", "a Stripe key"),
          ("-----BEGIN", "a private key"), ("_authToken", "a registry auth token"))
_REFERENCES_ONLY = re.compile(r"(?:\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}?)+")
_PATH_SEPARATORS = re.compile(r"[\\/]")
_FILE_NAME_WORDS = re.compile(r"[-_.]")
_URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:([^/\s@\"']+)@", re.IGNORECASE)
_SECRET_FILES = frozenset({
    ".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".npmrc", ".pypirc", ".netrc",
    "credentials.json", ".git-credentials", ".dockercfg", "kubeconfig", ".htpasswd",
    "service-account.json", "serviceaccount.json", "secrets.json", "secrets.yaml", "secrets.yml",
})
_SECRET_EXTENSIONS = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk")
_PUBLIC_WORDS = frozenset({"ca", "cert", "certs", "certificate", "chain", "fullchain", "bundle",
                           "pub", "public", "root", "trust", "truststore"})
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults")
_SECRET_PARENTS = {"credentials": ".aws", "config.json": ".docker", "config": ".kube"}

SECRET_VALUE = rule(
    "GS501", Severity.ERROR, "secret written into the Dockerfile",
    """A password, token or key is written in the Dockerfile (an ENV or ARG default, a URL
    with a password, a known token format, a private key in a heredoc), or a build argument
    is copied into ENV: anyone who can read the repository or pull the image has it. Remove
    it, rotate it, and pass it at build time with `RUN --mount=type=secret,id=token ...`
    (`docker build --secret id=token,env=TOKEN`).""",
)
SECRET_ARG = rule(
    "GS502", Severity.WARNING, "secret passed as a build argument",
    """A build argument (or a URL built from one) that holds a secret is recorded in the image
    history of every RUN that uses it, readable with `docker history`. Use a secret mount
    instead: `RUN --mount=type=secret,id=npm_token NPM_TOKEN=$(cat /run/secrets/npm_token) ...`.""",
)
SECRET_FILE = rule(
    "GS506", Severity.ERROR, "secret file copied into the image",
    """COPY or ADD of a file that usually holds credentials (.env, id_rsa, *.pem, *.key,
    .npmrc, credentials.json, .git-credentials, ...) puts it into a layer, where it stays
    even if a later RUN deletes it. Mount it for the one RUN that needs it
    (`RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci`) and list it in
    .dockerignore.""",
)


def secret_name(name: str) -> bool:
    words = [word.upper() for word in _NAME_WORDS.findall(name)]
    if not words or words[-1] in _POINTER_WORDS or name.upper() == "PWD":
        return False
    return any(word in _SECRET_WORDS or (word == "KEY" and index > 0 and words[index - 1] in _KEY_KINDS)
               for index, word in enumerate(words))


def _only_references(value: str) -> bool:
    """``$TOKEN`` or ``${TOKEN}``: a value taken from a build argument, not written here."""
    return bool(_REFERENCES_ONLY.fullmatch(value))


def _variable_findings(context: LintContext, instruction: Instruction) -> Iterator[Finding]:
    keyword = instruction.keyword
    for variable in variables(instruction, context.dockerfile.escape):
        if not secret_name(variable.name):
            continue
        value = variable.value
        if keyword == "ENV" and value:
            what = ("copies a build argument into the image's environment"
                    if _only_references(value) else "writes its value into the image")
            yield context.finding(SECRET_VALUE, instruction.start_line,
                                  f"ENV {variable.name} {what}", "use RUN --mount=type=secret")
        elif keyword == "ARG" and value and not _only_references(value):
            yield context.finding(SECRET_VALUE, instruction.start_line,
                                  f"ARG {variable.name} has a secret-looking default written in "
                                  "the Dockerfile", "remove the default; use RUN --mount=type=secret")
        elif keyword == "ARG":
            yield context.finding(SECRET_ARG, instruction.start_line,
                                  f"ARG {variable.name} passes a secret as a build argument",
                                  "use RUN --mount=type=secret instead")


def _texts(instruction: Instruction) -> Iterator[str]:
    yield instruction.original
    for heredoc in instruction.heredocs:
        yield heredoc.content


def _value_findings(context: LintContext, instruction: Instruction) -> Iterator[Finding]:
    for text in _texts(instruction):
        known = _KNOWN_SECRET.search(text)
        if known:
            kind = next((label for prefix, label in _KINDS if known.group(0).startswith(prefix)),
                        "a credential")
            yield context.finding(SECRET_VALUE, instruction.start_line,
                                  f"{instruction.keyword} contains what looks like {kind}",
                                  "remove it from the Dockerfile and rotate it")
            return
        for match in _URL_CREDENTIALS.finditer(text):
            password = match.group(1)
            if password.startswith("$"):
                yield context.finding(SECRET_ARG, instruction.start_line,
                                      f"{instruction.keyword} puts {password} into a URL, so the "
                                      "secret is recorded in the image history",
                                      "use RUN --mount=type=secret")
            else:
                yield context.finding(SECRET_VALUE, instruction.start_line,
                                      f"{instruction.keyword} has a URL with a password in it",
                                      "remove and rotate it; use RUN --mount=type=secret")
            return


def _findings_of(context: LintContext, rule_id: str) -> Iterator[Finding]:
    """The findings of one rule, at most one per instruction."""
    for instruction in context.dockerfile.instructions:
        found = list(_variable_findings(context, instruction)) if instruction.keyword in ("ENV", "ARG") \
            else []
        found.extend(_value_findings(context, instruction))
        yield from [finding for finding in found if finding.rule == rule_id][:1]


def check_secret_values(context: LintContext) -> Iterator[Finding]:
    return _findings_of(context, SECRET_VALUE.id)


def check_secret_args(context: LintContext) -> Iterator[Finding]:
    return _findings_of(context, SECRET_ARG.id)


def secret_file(source: str) -> bool:
    parts = [part for part in _PATH_SEPARATORS.split(source) if part]
    if not parts:
        return False
    base = parts[-1].lower()
    parent = parts[-2].lower() if len(parts) > 1 else ""
    if base in _SECRET_FILES or _SECRET_PARENTS.get(base) == parent:
        return True
    if base.startswith(".env.") and not base.endswith(_ENV_TEMPLATES):
        return True
    if base.endswith(_SECRET_EXTENSIONS):
        words = set(_FILE_NAME_WORDS.split(base))
        return not words & _PUBLIC_WORDS
    return False


def check_secret_files(context: LintContext) -> Iterator[Finding]:
    stage: Stage
    for stage in context.dockerfile.stages:
        for instruction in stage.having("COPY", "ADD"):
            if instruction.flag("from") is not None or instruction.heredocs:
                continue
            for source in instruction.arguments[:-1]:
                if "://" not in source and secret_file(source):
                    yield context.finding(SECRET_FILE, instruction.start_line,
                                          f"{instruction.keyword} copies {source}, which usually "
                                          "holds credentials, into the image",
                                          "use RUN --mount=type=secret and add it to .dockerignore")
                    break


CHECKS = (
    Check(SECRET_VALUE, check_secret_values),
    Check(SECRET_ARG, check_secret_args),
    Check(SECRET_FILE, check_secret_files),
)
