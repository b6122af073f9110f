package dev.stele.android

import java.math.BigInteger
import java.security.interfaces.ECPublicKey
import java.util.Base64

/** JWKs of platform public keys, as the bindings' `Signer.publicKeyJwk` wants them. */
object Jwk {
    /** The public JWK (`kty` EC, `crv` P-256) of a P-256 public key. */
    fun p256(key: ECPublicKey): String {
        require(key.params.curve.field.fieldSize == 256) { "not a P-256 key" }
        val w = key.w
        return """{"kty":"EC","crv":"P-256","x":"${coordinate(w.affineX)}","y":"${coordinate(w.affineY)}"}"""
    }

    /** A coordinate as 32 big-endian bytes, base64url without padding. */
    private fun coordinate(n: BigInteger): String {
        val raw = n.toByteArray().let { if (it.size > 32) it.copyOfRange(it.size - 32, it.size) else it }
        val fixed = ByteArray(32)
        System.arraycopy(raw, 0, fixed, 32 - raw.size, raw.size)
        return Base64.getUrlEncoder().withoutPadding().encodeToString(fixed)
    }
}
