"""Python smoke test of the generated bindings (run by ffi/tests/run).

A Python `Signer` gets a credential issued to its did:key by the `stele` CLI,
presents it to a challenge through Rust, and the exported Verifier checks it,
holder binding included. Then the Wallet object: a Python `KeyWrap`
(AES-256-GCM) and a Python P-256 `Signer` with DER signatures (the Android
Keystore shape), both from the pinned `cryptography` package
(requirements.txt; ffi/tests/run installs it into a venv), receive, a
counter's challenge from `stele challenge`, present, verify, backup/restore.

The first signer keeps its key in a Rust `HolderKey` and signs through it:
every signature still crosses the foreign-trait callback (Rust -> Python -> Rust).

    python3 test_smoke.py BINDINGS_DIR STELE_BIN WORK_DIR
"""

import json
import os
import subprocess
import sys
import time
import traceback

bindings, stele, work = sys.argv[1:4]
sys.path.insert(0, bindings)
import stele_ffi as ffi  # noqa: E402  (generated; found on the path above)

AUDIENCE = "did:web:counter.example"
NOW = int(time.time())
NONCE = f"python-nonce-{NOW}"
results = {"passed": 0, "failed": 0}


def check(name):
    def run(body):
        try:
            body()
            results["passed"] += 1
            print(f"ok   {name}")
        except Exception:  # report every failure, then exit non-zero
            results["failed"] += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        return body

    return run


def issue(holder_did):
    out = subprocess.run(
        [stele, "issue", "--key", "agency.jwk", "--type", "ResidencePermitCredential",
         "--subject", "claims.json", "--holder", holder_did],
        cwd=work, check=True, capture_output=True, text=True)
    return out.stdout.strip()


class PythonSigner(ffi.Signer):
    """A Python Signer whose key is a Rust HolderKey (see the module docstring)."""

    def __init__(self):
        self.key = ffi.generate_holder_key(ffi.KeyAlg.ED25519)
        self.calls = 0

    def algorithm(self):
        return ffi.KeyAlg.ED25519

    def signature_encoding(self):
        return ffi.SignatureEncoding.RAW

    def public_key_jwk(self):
        return self.key.public_jwk()

    def sign(self, message):
        self.calls += 1
        return self.key.sign(message)


class RefusingSigner(PythonSigner):
    def sign(self, message):
        raise ffi.StelError.KeyStore("user cancelled")


with open(os.path.join(work, "trust.json")) as f:
    verifier = ffi.Verifier(f.read())
signer = PythonSigner()
did = ffi.did_key_from_jwk(signer.public_key_jwk())
credential = issue(did)


@check("version")
def _():
    assert ffi.version()


@check("did_key_from_jwk matches the HolderKey's did")
def _():
    assert did == signer.key.did(), (did, signer.key.did())
    assert '"d"' not in signer.key.public_jwk()


@check("present with a Python Signer verifies with holder binding")
def _():
    p = ffi.present_sd_jwt(credential, ["given_name", "address.locality"], AUDIENCE, NONCE, NOW, signer)
    assert signer.calls == 1, signer.calls
    v = verifier.verify(p, NOW, AUDIENCE, NONCE, True)
    assert v.verified, v.reasons
    assert v.holder_binding == ffi.HolderBindingState.VERIFIED, v.holder_binding
    assert v.format == ffi.CredentialFormat.DC_SD_JWT, v.format
    claims = json.loads(v.claims_json)
    assert claims["given_name"] == "Amira", claims
    assert claims["address"] == {"locality": "Berlin"}, claims
    assert "birth_date" not in claims, claims


@check("another audience is refused with a reason code")
def _():
    p = ffi.present_sd_jwt(credential, ["given_name"], AUDIENCE, NONCE, NOW, signer)
    v = verifier.verify(p, NOW, "did:web:elsewhere.example", NONCE, True)
    assert not v.verified
    assert v.reasons and all(r.code for r in v.reasons), v.reasons


@check("a key-store refusal in Python reaches the caller as StelError.KeyStore")
def _():
    try:
        ffi.present_sd_jwt(credential, ["given_name"], AUDIENCE, NONCE, NOW, RefusingSigner())
    except ffi.StelError.KeyStore as e:
        assert "user cancelled" in e.detail, e.detail
    else:
        raise AssertionError("presented without a signature")


@check("malformed input is StelError.InvalidInput")
def _():
    for call in (lambda: ffi.present_sd_jwt("not an sd-jwt", [], AUDIENCE, NONCE, NOW, signer),
                 lambda: ffi.Verifier("{}"),
                 lambda: ffi.did_key_from_jwk('{"kty":"OKP"}')):
        try:
            call()
        except ffi.StelError.InvalidInput:
            pass
        else:
            raise AssertionError("accepted malformed input")


import base64  # noqa: E402
import shutil  # noqa: E402

from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402


class DerP256Signer(ffi.Signer):
    """A P-256 key held by Python; the private key never crosses into Rust."""

    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.calls = 0

    def algorithm(self):
        return ffi.KeyAlg.P256

    def signature_encoding(self):
        return ffi.SignatureEncoding.DER

    def public_key_jwk(self):
        n = self.private.public_key().public_numbers()
        b = lambda i: base64.urlsafe_b64encode(i.to_bytes(32, "big")).rstrip(b"=").decode()
        return json.dumps({"kty": "EC", "crv": "P-256", "x": b(n.x), "y": b(n.y)})

    def sign(self, message):
        self.calls += 1
        return self.private.sign(message, ec.ECDSA(hashes.SHA256()))


class AesGcmKeyWrap(ffi.KeyWrap):
    """AES-256-GCM: nonce (12) || ciphertext || tag; a wrong key is WrongKey."""

    AAD = b"stele-wallet-data-key"

    def __init__(self):
        self.aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def wrap_key(self, data_key):
        nonce = os.urandom(12)
        return nonce + self.aead.encrypt(nonce, bytes(data_key), self.AAD)

    def unwrap_key(self, wrapped):
        try:
            return self.aead.decrypt(bytes(wrapped[:12]), bytes(wrapped[12:]), self.AAD)
        except (InvalidTag, ValueError):
            raise ffi.StelError.WrongKey()


def challenge(claims):
    out = subprocess.run(
        [stele, "challenge", "--verifier", AUDIENCE, "--type", "ResidencePermitCredential",
         "--claims", claims, "--ttl", "600", "--output", "json"],
        check=True, capture_output=True, text=True)
    c = json.loads(out.stdout)
    return c["payload"], c["nonce"]


def expect_error(kind, call):
    try:
        call()
    except kind as e:
        return e
    raise AssertionError(f"expected {kind.__name__}")


@check("present with a Python P-256 DER signer (cryptography) verifies")
def _():
    s = DerP256Signer()
    bound = issue(ffi.did_key_from_jwk(s.public_key_jwk()))
    p = ffi.present_sd_jwt(bound, ["age_over_18"], AUDIENCE, NONCE, NOW, s)
    v = verifier.verify(p, NOW, AUDIENCE, NONCE, True)
    assert v.verified and v.holder_binding == ffi.HolderBindingState.VERIFIED, v.reasons


wallet_dir = os.path.join(work, "wallet-python")
shutil.rmtree(wallet_dir, ignore_errors=True)
key_wrap = AesGcmKeyWrap()
hw_signer = DerP256Signer()
with open(os.path.join(work, "trust.json")) as f:
    trust_json = f.read()
state = {}


@check("wallet: create with a Python KeyWrap; a wrong KeyWrap is WrongKey")
def _():
    assert not ffi.wallet_exists(wallet_dir)
    w = ffi.Wallet.create(wallet_dir, key_wrap)
    key = w.add_hardware_key("se-holder", hw_signer)
    assert key.algorithm == ffi.KeyAlg.P256 and key.hardware_alias == "se-holder", key
    state["did"] = key.did
    del w  # closes the redb file
    expect_error(ffi.StelError.WrongKey, lambda: ffi.Wallet.open(wallet_dir, AesGcmKeyWrap()))


@check("wallet: receive, list, show; parse a challenge; present; the verifier accepts it")
def _():
    w = ffi.Wallet.open(wallet_dir, key_wrap)
    w.bind_hardware_key("se-holder", hw_signer)
    w.set_trusted_issuers(trust_json)
    cid = w.receive(issue(state["did"]))
    assert [c.id for c in w.list()] == [cid]
    details = w.show(cid, "en")
    assert details.format == ffi.CredentialFormat.DC_SD_JWT
    assert {c.name: json.loads(c.value_json) for c in details.claims}["given_name"] == "Amira"
    qr, nonce = challenge("given_name,address.locality")
    request = w.parse_challenge(qr)
    assert request.verifier == AUDIENCE and request.requested_claims == ["given_name", "address.locality"]
    p = w.present(cid, qr, request.requested_claims)
    assert hw_signer.calls >= 1
    assert p.qr_payload.startswith("SP2:")
    assert len(p.qr_matrix.modules) == p.qr_matrix.size ** 2
    v = verifier.verify(p.qr_payload, NOW, AUDIENCE, nonce, True)
    assert v.verified and v.holder_binding == ffi.HolderBindingState.VERIFIED, v.reasons
    claims = json.loads(v.claims_json)
    assert claims["given_name"] == "Amira" and claims["address"] == {"locality": "Berlin"}, claims
    assert "birth_date" not in claims
    log = w.activity_log()
    assert len(log) == 1 and log[0].disclosed == ["address.locality", "given_name"], log
    state["backup"] = w.backup("a backup passphrase")
    state["cid"] = cid
    e = expect_error(ffi.StelError.Rejected, lambda: w.receive(issue(ffi.generate_holder_key(ffi.KeyAlg.ED25519).did())))
    assert [r.code for r in e.reasons] == ["holder_binding"], e.reasons
    del w


@check("wallet: restore a backup; the hardware key is reported for re-binding")
def _():
    d2 = os.path.join(work, "wallet-python-restored")
    shutil.rmtree(d2, ignore_errors=True)
    expect_error(ffi.StelError.WrongKey,
                 lambda: ffi.restore_wallet(d2, state["backup"], "not it", AesGcmKeyWrap()))
    r = ffi.restore_wallet(d2, state["backup"], "a backup passphrase", AesGcmKeyWrap())
    assert r.credentials == 1 and r.hardware_keys_needing_rebinding == ["se-holder"], r
    qr, _ = challenge("given_name")
    expect_error(ffi.StelError.KeyNotBound, lambda: r.wallet.present(state["cid"], qr, ["given_name"]))
    r.wallet.bind_hardware_key("se-holder", hw_signer)
    assert r.wallet.present(state["cid"], qr, ["given_name"]).qr_payload.startswith("SP2:")
    state["restored"] = r.wallet


class CancellingSigner(DerP256Signer):
    def __init__(self, inner):
        self.private = inner.private
        self.calls = 0

    def sign(self, message):
        raise ffi.StelError.Cancelled()


@check("wallet: a prompt the user dismissed in a Python Signer reaches the caller as Cancelled")
def _():
    w = state["restored"]
    w.bind_hardware_key("se-holder", CancellingSigner(hw_signer))
    qr, _ = challenge("given_name")
    expect_error(ffi.StelError.Cancelled, lambda: w.present(state["cid"], qr, ["given_name"]))
    assert len(w.activity_log()) == 2, "a cancelled presentation was logged"


print(f"python: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] or not results["passed"] else 0)
