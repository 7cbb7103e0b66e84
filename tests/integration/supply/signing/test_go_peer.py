"""goship's payload bytes, signatures and keys checked by Go's standard library, which is what
cosign uses: encoding/json writes the payload (the same structs and map), crypto/ecdsa
verifies goship's signatures, and crypto/x509 parses goship's private keys as cosign does."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from goship.oci.digest import Digest
from goship.supply.signing.envelope import read_pem, unseal
from goship.supply.signing.keys import load_private_key, write_key_pair
from goship.supply.signing.payload import make_payload

pytestmark = pytest.mark.integration

PEER = Path(__file__).parent / "peer"
DIGEST = "sha256:" + "5e" * 32

# Annotations as a user or a pipeline might give them: Go decodes each into
# map[string]interface{} and encodes it again; goship must write the same bytes.
ANNOTATIONS = [
    "null",
    '{"creator":"OBS"}',
    '{"b":"1","a":"2","B":"3","_":"4","é":"5","z":"6","Z":"7","😀":"8","ſ":"9"}',
    '{"html":"<script>alert(1)</script> & co","quote":"say \\"hi\\"","slash":"a/b\\\\c"}',
    '{"controls":"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\\u007f","separators":"\\u2028\\u2029"}',
    '{"unicode":"ü ✓ 漢字 😀","emoji key 🔑":"v"}',
    '{"n1":1,"n2":-1,"n3":0.1,"n4":8.314,"n5":1e20,"n6":1e21,"n7":1.5e-7,"n8":0.000001,'
    '"n9":123456789012345678,"n10":1458239713,"n11":-2.5e300,"n12":100.0,"n13":1E-10}',
    '{"nested":{"list":[1,"two",null,true,{"z":1,"a":[]}],"empty":{},"none":null,"f":false}}',
]


@pytest.fixture(scope="module")
def peer(go_binary: Path, base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("go-peer")
    source = work / "peer"
    shutil.copytree(PEER, source)
    binary = work / "peer-bin"
    built = subprocess.run([str(go_binary), "build", "-o", str(binary), "."], cwd=source,
                           env=base_env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return binary


def test_payloads_are_the_bytes_go_s_encoder_writes(peer: Path) -> None:
    cases = [{"reference": reference, "digest": DIGEST, "annotations": json.loads(annotations)}
             for reference in ("127.0.0.1:5000/team/app", "index.docker.io/library/busybox")
             for annotations in ANNOTATIONS]
    done = subprocess.run([str(peer), "payload"], input=json.dumps(cases).encode(), capture_output=True,
                          check=True)
    from_go = [base64.b64decode(line) for line in done.stdout.decode().split()]
    assert len(from_go) == len(cases)
    for case, expected in zip(cases, from_go, strict=True):
        assert make_payload(case["reference"], Digest.parse(DIGEST), case["annotations"]) == expected, case


def test_go_verifies_goship_signatures_and_rejects_altered_ones(peer: Path, tmp_path: Path) -> None:
    files = write_key_pair(tmp_path / "cosign", b"pw")
    key = load_private_key(files.private_key, b"pw")
    payload = make_payload("127.0.0.1:5000/team/app", Digest.parse(DIGEST), {"env": "prod"})
    (tmp_path / "payload.json").write_bytes(payload)
    (tmp_path / "sig.b64").write_text(base64.b64encode(key.sign(payload)).decode())
    done = subprocess.run([str(peer), "verify", str(files.public_key), str(tmp_path / "payload.json"),
                           str(tmp_path / "sig.b64")], capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, "valid"), done.stderr
    (tmp_path / "payload.json").write_bytes(payload.replace(b"prod", b"test"))
    done = subprocess.run([str(peer), "verify", str(files.public_key), str(tmp_path / "payload.json"),
                           str(tmp_path / "sig.b64")], capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (2, "invalid")


def test_the_key_inside_a_goship_key_file_is_pkcs8_as_go_parses_it(peer: Path, tmp_path: Path) -> None:
    files = write_key_pair(tmp_path / "cosign", b"")
    block = read_pem(files.private_key.read_bytes(), "cosign.key")
    (tmp_path / "key.der").write_bytes(unseal(block.body, b"", "cosign.key"))
    done = subprocess.run([str(peer), "pkcs8", str(tmp_path / "key.der")], capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, "ecdsa P-256"), done.stderr
