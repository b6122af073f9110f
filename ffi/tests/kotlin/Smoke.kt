// JVM smoke test of the generated Kotlin bindings (run by ffi/tests/run).
//
// A Kotlin `Signer` over a java.security P-256 key (SHA256withECDSA, DER
// signatures: what Android Keystore returns) gets a credential issued to its
// did:key by the `stele` CLI, presents it to a challenge through Rust, and
// the exported Verifier checks the presentation, holder binding included.
// WalletFlow.kt runs the same through the Wallet object, with a Kotlin KeyWrap.
//
//   java -Djna.library.path=target/debug -cp smoke.jar:jna.jar SmokeKt STELE_BIN WORK_DIR

import dev.stele.ffi.HolderBindingState
import dev.stele.ffi.KeyAlg
import dev.stele.ffi.SignatureEncoding
import dev.stele.ffi.Signer
import dev.stele.ffi.StelException
import dev.stele.ffi.Verifier
import dev.stele.ffi.didKeyFromJwk
import dev.stele.ffi.generateHolderKey
import dev.stele.ffi.presentSdJwt
import dev.stele.ffi.version
import java.io.File
import java.math.BigInteger
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.Base64
import kotlin.system.exitProcess

/** A P-256 key held by the JVM; the private key never crosses into Rust. */
class JcaP256Signer : Signer {
    private val pair: KeyPair =
        KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
    var calls = 0
        private set

    override fun algorithm() = KeyAlg.P256

    override fun signatureEncoding() = SignatureEncoding.DER

    override fun publicKeyJwk(): String {
        val w = (pair.public as ECPublicKey).w
        return """{"kty":"EC","crv":"P-256","x":"${coordinate(w.affineX)}","y":"${coordinate(w.affineY)}"}"""
    }

    override fun sign(message: ByteArray): ByteArray {
        calls++
        return Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }

    private fun coordinate(n: BigInteger): String {
        val raw = n.toByteArray().let { if (it.size > 32) it.copyOfRange(it.size - 32, it.size) else it }
        val fixed = ByteArray(32)
        System.arraycopy(raw, 0, fixed, 32 - raw.size, raw.size)
        return Base64.getUrlEncoder().withoutPadding().encodeToString(fixed)
    }
}

/** A key store that refuses, as a locked StrongBox or a cancelled prompt would. */
class RefusingSigner(private val inner: JcaP256Signer) : Signer by inner {
    override fun sign(message: ByteArray): ByteArray = throw StelException.KeyStore("user cancelled")
}

var passed = 0
var failed = 0

fun check(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok   $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
    }
}

fun expect(cond: Boolean, what: () -> String) {
    if (!cond) throw AssertionError(what())
}

fun issue(stele: String, work: File, holderDid: String): String {
    val p = ProcessBuilder(
        stele, "issue", "--key", "agency.jwk", "--type", "ResidencePermitCredential",
        "--subject", "claims.json", "--holder", holderDid,
    ).directory(work).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val out = p.inputStream.bufferedReader().readText().trim()
    check(p.waitFor() == 0) { "stele issue failed" }
    return out
}

fun main(args: Array<String>) {
    if (args.size != 2) {
        System.err.println("usage: SmokeKt STELE_BIN WORK_DIR")
        exitProcess(2)
    }
    val stele = args[0]
    val work = File(args[1])
    val verifier = Verifier(File(work, "trust.json").readText())
    val now = System.currentTimeMillis() / 1000
    val audience = "did:web:counter.example"
    val nonce = "kotlin-nonce-" + now

    check("version") { expect(version().isNotEmpty()) { "empty version" } }

    val signer = JcaP256Signer()
    val did = didKeyFromJwk(signer.publicKeyJwk())
    val credential = issue(stele, work, did)

    check("present with a Kotlin Signer (P-256, DER) verifies with holder binding") {
        val presentation = presentSdJwt(credential, listOf("given_name", "permit_type"), audience, nonce, now, signer)
        expect(signer.calls == 1) { "the Kotlin signer was called ${signer.calls} times" }
        val v = verifier.verify(presentation, now, audience, nonce, true)
        expect(v.verified) { "not verified: ${v.reasons}" }
        expect(v.holderBinding == HolderBindingState.VERIFIED) { "holder binding ${v.holderBinding}" }
        expect(v.types.contains("ResidencePermitCredential")) { "types ${v.types}" }
        expect(v.claimsJson.contains("\"given_name\":\"Amira\"")) { "claims ${v.claimsJson}" }
        expect(!v.claimsJson.contains("birth_date")) { "undisclosed claim leaked: ${v.claimsJson}" }
    }

    check("the presentation is refused for another nonce, with a reason code") {
        val presentation = presentSdJwt(credential, listOf("given_name"), audience, nonce, now, signer)
        val v = verifier.verify(presentation, now, audience, "another-nonce", true)
        expect(!v.verified) { "verified with a wrong nonce" }
        expect(v.reasons.isNotEmpty() && v.reasons.all { it.code.isNotEmpty() }) { "reasons ${v.reasons}" }
    }

    check("a key-store refusal in Kotlin reaches the app as StelException.KeyStore") {
        try {
            presentSdJwt(credential, listOf("given_name"), audience, nonce, now, RefusingSigner(signer))
            throw AssertionError("presented without a signature")
        } catch (e: StelException.KeyStore) {
            expect(e.detail.contains("user cancelled")) { "detail ${e.detail}" }
        }
    }

    check("an unknown claim is InvalidInput") {
        try {
            presentSdJwt(credential, listOf("no_such_claim"), audience, nonce, now, signer)
            throw AssertionError("presented an unknown claim")
        } catch (e: StelException.InvalidInput) {
        }
    }

    check("a malformed trust list is InvalidInput") {
        try {
            Verifier("{not json")
            throw AssertionError("accepted a malformed trust list")
        } catch (e: StelException.InvalidInput) {
        }
    }

    check("a Rust HolderKey as Signer verifies too") {
        val key = generateHolderKey(KeyAlg.ED25519)
        expect(key.did().startsWith("did:key:z6Mk")) { "did ${key.did()}" }
        expect(!key.publicJwk().contains("\"d\"")) { "the public JWK carries a secret" }
        val bound = issue(stele, work, key.did())
        val presentation = presentSdJwt(bound, listOf("age_over_18"), audience, nonce, now, key.signer())
        val v = verifier.verify(presentation, now, audience, nonce, true)
        expect(v.verified && v.holderBinding == HolderBindingState.VERIFIED) { "${v.reasons}" }
    }

    walletFlow(stele, work)
    androidWrapperFlow(stele, work)

    println("kotlin: $passed passed, $failed failed")
    if (failed != 0 || passed == 0) exitProcess(1)
}
