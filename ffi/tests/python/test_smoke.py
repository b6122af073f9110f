"""Python smoke test of the generated bindings (run by ffi/tests/run).

Plain python3, no pip installs: a Python `Signer` gets a credential issued to
its did:key by the `stele` CLI, presents it to a challenge through Rust, and
the exported Verifier checks it, holder binding included.

Python's standard library has no Ed25519 or P-256, so the Python signer keeps
its key in a Rust `HolderKey` and signs through it: every signature still
crosses the foreign-trait callback (Rust -> Python -> Rust). When the
`cryptography` package happens to be installed, a P-256 signer with DER
signatures (the Android Keystore shape) is tested as well; it is not required.

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


try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
except ImportError:
    ec = None
    print("skip P-256 DER signer: the optional `cryptography` package is not installed")

if ec is not None:
    import base64

    class DerP256Signer(ffi.Signer):
        def __init__(self):
            self.private = ec.generate_private_key(ec.SECP256R1())

        def algorithm(self):
            return ffi.KeyAlg.P256

        def signature_encoding(self):
            return ffi.SignatureEncoding.DER

        def public_key_jwk(self):
            n = self.private.public_key().public_numbers()
            b = lambda i: base64.urlsafe_b64encode(i.to_bytes(32, "big")).rstrip(b"=").decode()
            return json.dumps({"kty": "EC", "crv": "P-256", "x": b(n.x), "y": b(n.y)})

        def sign(self, message):
            return self.private.sign(message, ec.ECDSA(hashes.SHA256()))

    @check("present with a Python P-256 DER signer (cryptography) verifies")
    def _():
        s = DerP256Signer()
        bound = issue(ffi.did_key_from_jwk(s.public_key_jwk()))
        p = ffi.present_sd_jwt(bound, ["age_over_18"], AUDIENCE, NONCE, NOW, s)
        v = verifier.verify(p, NOW, AUDIENCE, NONCE, True)
        assert v.verified and v.holder_binding == ffi.HolderBindingState.VERIFIED, v.reasons


print(f"python: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] or not results["passed"] else 0)
