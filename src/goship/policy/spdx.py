"""A small checker of SPDX license expressions, for the ``org.opencontainers.image.licenses``
label (``MIT``, ``Apache-2.0 OR MIT``, ``GPL-2.0-only WITH Classpath-exception-2.0``).

Written by hand: the label needs only "is this a well-formed expression over known IDs", and
the libraries that parse SPDX expressions bring the whole license list and a boolean algebra
package with them. The grammar is that of SPDX 2.3 Annex D: ``WITH`` binds tighter than
``AND``, ``AND`` tighter than ``OR``, parentheses group, a license ID may end in ``+``, and
``LicenseRef-``/``DocumentRef-`` name licenses outside the list. License IDs compare without
case, as the specification says. The list below holds the licenses Go services and their
base images commonly carry, not the whole SPDX list: a rarer ID is reported as unknown, with
``LicenseRef-`` as the way out.
"""

from __future__ import annotations

import re

LICENSE_IDS = frozenset(name.lower() for name in (
    "0BSD", "AFL-3.0", "AGPL-1.0-only", "AGPL-1.0-or-later", "AGPL-3.0", "AGPL-3.0-only",
    "AGPL-3.0-or-later", "Apache-1.0", "Apache-1.1", "Apache-2.0", "APSL-2.0", "Artistic-1.0",
    "Artistic-2.0", "Beerware", "BlueOak-1.0.0", "BSD-1-Clause", "BSD-2-Clause",
    "BSD-2-Clause-Patent", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSD-4-Clause", "BSL-1.0",
    "BUSL-1.1", "bzip2-1.0.6", "CAL-1.0", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-NC-4.0",
    "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CDDL-1.1", "CECILL-2.1", "CPL-1.0",
    "curl", "ECL-2.0", "EFL-2.0", "Elastic-2.0", "EPL-1.0", "EPL-2.0", "EUPL-1.1", "EUPL-1.2",
    "FSFAP", "FTL", "GFDL-1.3-only", "GFDL-1.3-or-later", "GPL-1.0-only", "GPL-1.0-or-later",
    "GPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0", "GPL-3.0-only",
    "GPL-3.0-or-later", "HPND", "ICU", "IJG", "Info-ZIP", "ISC", "JSON", "LGPL-2.0-only",
    "LGPL-2.0-or-later", "LGPL-2.1", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0",
    "LGPL-3.0-only", "LGPL-3.0-or-later", "libpng-2.0", "Libpng", "LPPL-1.3c", "MIT", "MIT-0",
    "MPL-1.1", "MPL-2.0", "MPL-2.0-no-copyleft-exception", "MS-PL", "MS-RL", "MulanPSL-2.0",
    "NCSA", "ODbL-1.0", "OFL-1.1", "OLDAP-2.8", "OpenSSL", "OSL-3.0", "PHP-3.01", "PostgreSQL",
    "PSF-2.0", "Python-2.0", "Ruby", "Sleepycat", "SSPL-1.0", "Unicode-3.0", "Unicode-DFS-2016",
    "Unlicense", "UPL-1.0", "Vim", "W3C", "WTFPL", "X11", "Zlib", "zlib-acknowledgement",
    "ZPL-2.1",
))
EXCEPTION_IDS = frozenset(name.lower() for name in (
    "Autoconf-exception-2.0", "Autoconf-exception-3.0", "Bison-exception-2.2",
    "Classpath-exception-2.0", "eCos-exception-2.0", "Font-exception-2.0",
    "GCC-exception-2.0", "GCC-exception-3.1", "GPL-3.0-linking-exception",
    "GPL-3.0-linking-source-exception", "LGPL-3.0-linking-exception", "Linux-syscall-note",
    "LLVM-exception", "OpenJDK-assembly-exception-1.0", "openvpn-openssl-exception",
    "Qt-GPL-exception-1.0", "Qt-LGPL-exception-1.1", "Swift-exception",
    "Universal-FOSS-exception-1.0", "WxWindows-exception-3.1",
))
_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9.+:-]+)")
_IDSTRING = r"[A-Za-z0-9.-]+"
_LICENSE_REF = re.compile(rf"^(?:DocumentRef-{_IDSTRING}:)?LicenseRef-{_IDSTRING}$")
_ADDITION_REF = re.compile(rf"^(?:DocumentRef-{_IDSTRING}:)?AdditionRef-{_IDSTRING}$")
_OPERATORS = {"AND", "OR", "WITH"}


def expression_problem(text: str) -> str | None:
    """Why ``text`` is not a valid SPDX license expression, or None when it is."""
    if not text.strip():
        return "it is empty"
    if text.strip() in ("NONE", "NOASSERTION"):
        return f"'{text.strip()}' says nothing about the license; give the license expression"
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None:
            return f"unexpected character {text[position:].lstrip()[:1]!r}"
        tokens.append(match.group(1))
        position = match.end()
    parser = _Parser(tokens)
    try:
        parser.expression()
        if parser.position != len(tokens):
            raise _Invalid(f"unexpected '{tokens[parser.position]}'")
    except _Invalid as exc:
        return str(exc)
    return None


class _Invalid(Exception):
    pass


class _Parser:
    """Recursive descent over the tokens: or-expression, and-expression, with-expression."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self, wanted: str) -> str:
        token = self._peek()
        if token is None:
            raise _Invalid(f"it ends where {wanted} should follow")
        self.position += 1
        return token

    def _operator(self, name: str) -> bool:
        token = self._peek()
        # SPDX operators are upper case; lower case is tolerated, as most tools do.
        if token is not None and token in (name, name.lower()):
            self.position += 1
            return True
        return False

    def expression(self) -> None:
        self._and()
        while self._operator("OR"):
            self._and()

    def _and(self) -> None:
        self._with()
        while self._operator("AND"):
            self._with()

    def _with(self) -> None:
        word = self._next("a license")
        if word == "(":
            self.expression()
            if self._next("')'") != ")":
                raise _Invalid("a '(' is not closed")
            return
        self._license(word)
        if self._operator("WITH"):
            exception = self._next("an exception after WITH")
            if exception.lower() not in EXCEPTION_IDS and not _ADDITION_REF.match(exception):
                raise _Invalid(f"'{exception}' is not an SPDX license exception goship knows")

    @staticmethod
    def _license(word: str) -> None:
        if word == ")" or word.upper() in _OPERATORS:
            raise _Invalid(f"'{word}' where a license should be")
        if _LICENSE_REF.match(word):
            return
        if word.removesuffix("+").lower() not in LICENSE_IDS:
            raise _Invalid(f"'{word}' is not a license ID in goship's list of common SPDX "
                           f"licenses (a license of your own is written LicenseRef-{word})")
