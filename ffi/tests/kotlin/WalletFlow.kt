// The Wallet object through the generated Kotlin (run from Smoke.kt's main).
//
// A wallet whose data key is wrapped by a Kotlin KeyWrap (AES-256-GCM with
// javax.crypto, the shape of the Android Keystore one), a hardware-style
// holder key that is a Kotlin Signer (java.security P-256, DER), a real
// SD-JWT VC issued by the `stele` CLI to that key's did:key, a counter's
// challenge made by `stele challenge`, and the presentation checked by the
// exported core Verifier.

import dev.stele.ffi.ActivityEntry
import dev.stele.ffi.HolderBindingState
import dev.stele.ffi.KeyAlg
import dev.stele.ffi.KeyWrap
import dev.stele.ffi.Signer
import dev.stele.ffi.StelException
import dev.stele.ffi.Verifier
import dev.stele.ffi.Wallet
import dev.stele.ffi.restoreWallet
import dev.stele.ffi.walletExists
import java.io.File
import java.security.SecureRandom
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** AES-256-GCM key wrap: `iv (12) ‖ ciphertext ‖ tag (16)`; a wrong key is `WrongKey`. */
class AesGcmKeyWrap(
    private val key: SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey(),
) : KeyWrap {
    var unwraps = 0
        private set

    override fun wrapKey(dataKey: ByteArray): ByteArray {
        val iv = ByteArray(IV_LEN).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(TAG_BITS, iv))
        cipher.updateAAD(AAD)
        return iv + cipher.doFinal(dataKey)
    }

    override fun unwrapKey(wrapped: ByteArray): ByteArray {
        unwraps++
        if (wrapped.size < IV_LEN + TAG_BITS / 8) throw StelException.WrongKey()
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BITS, wrapped, 0, IV_LEN))
        cipher.updateAAD(AAD)
        try {
            return cipher.doFinal(wrapped, IV_LEN, wrapped.size - IV_LEN)
        } catch (e: AEADBadTagException) {
            throw StelException.WrongKey()
        }
    }

    companion object {
        const val IV_LEN = 12
        const val TAG_BITS = 128
        val AAD = "stele-wallet-data-key".toByteArray()
    }
}

/** A platform key whose user dismissed the prompt. */
class CancellingSigner(private val inner: JcaP256Signer) : Signer by inner {
    override fun sign(message: ByteArray): ByteArray = throw StelException.Cancelled()
}

/** A platform key store that throws something unexpected. */
class CancellingKeyWrap(private val inner: AesGcmKeyWrap) : KeyWrap by inner {
    override fun unwrapKey(wrapped: ByteArray): ByteArray = throw StelException.Cancelled()
}

/** A counter's challenge QR payload and its nonce, made by `stele challenge`. */
fun challenge(stele: String, claims: String, ttl: Int = 600): Pair<String, String> {
    val p = ProcessBuilder(
        stele, "challenge", "--verifier", AUDIENCE,
        "--type", "ResidencePermitCredential", "--claims", claims, "--ttl", ttl.toString(), "--output", "json",
    ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0) { "stele challenge failed" }
    fun field(name: String) = Regex("\"$name\"\\s*:\\s*\"([^\"]+)\"").find(out)?.groupValues?.get(1)
        ?: throw AssertionError("no $name in $out")
    return field("payload") to field("nonce")
}

const val AUDIENCE = "did:web:counter.example"

inline fun <reified E : Throwable> expectThrows(what: String, body: () -> Unit): E {
    try {
        body()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("$what: expected ${E::class.simpleName}, got $e")
    }
    throw AssertionError("$what: no exception")
}

fun walletFlow(stele: String, work: File) {
    val trust = File(work, "trust.json").readText()
    val verifier = Verifier(trust)
    val now = System.currentTimeMillis() / 1000
    val dir = File(work, "wallet-kotlin").path
    val keyWrap = AesGcmKeyWrap()
    val signer = JcaP256Signer()
    val (challengeQr, nonce) = challenge(stele, "given_name,permit_type,address.locality")

    var credentialId = ""
    check("wallet: create with a Kotlin KeyWrap, add a Kotlin P-256 hardware key") {
        expect(!walletExists(dir)) { "a wallet before create" }
        Wallet.create(dir, keyWrap).use { wallet ->
            val key = wallet.addHardwareKey("strongbox-holder", signer)
            expect(key.algorithm == KeyAlg.P256 && key.hardwareAlias == "strongbox-holder" && key.available) { "$key" }
            expect(wallet.holderDids() == listOf(key.did)) { "dids ${wallet.holderDids()}" }
        }
        expect(walletExists(dir)) { "no wallet after create" }
        expect(keyWrap.unwraps == 1) { "create did not check its key wrap round trip: ${keyWrap.unwraps}" }
    }

    check("wallet: a wrong KeyWrap fails with WrongKey; a cancelled prompt with Cancelled") {
        expectThrows<StelException.WrongKey>("other AES key") { Wallet.open(dir, AesGcmKeyWrap()).close() }
        expectThrows<StelException.Cancelled>("cancelled unwrap") { Wallet.open(dir, CancellingKeyWrap(keyWrap)).close() }
        expectThrows<StelException.NotFound>("missing wallet") { Wallet.open(File(work, "nowhere").path, keyWrap).close() }
        expectThrows<StelException.AlreadyExists>("second create") { Wallet.create(dir, keyWrap).close() }
    }

    Wallet.open(dir, keyWrap).use { wallet ->
        val holder = wallet.holderKeys().single()
        check("wallet: after open the hardware key must be bound again") {
            expect(!holder.available) { "hardware key available before bind" }
            wallet.bindHardwareKey("strongbox-holder", signer)
            expect(wallet.holderKeys().single().available) { "not available after bind" }
            expectThrows<StelException.InvalidInput>("bind another key") {
                wallet.bindHardwareKey("strongbox-holder", JcaP256Signer())
            }
        }

        val credential = issue(stele, work, holder.did)
        check("wallet: receive refuses an untrusted issuer (Rejected, untrusted_issuer) and stores nothing") {
            val e = expectThrows<StelException.Rejected>("no trust list") { wallet.receive(credential) }
            expect(e.reasons.any { it.code == "untrusted_issuer" }) { "reasons ${e.reasons}" }
            expect(wallet.list().isEmpty()) { "stored a rejected credential" }
        }

        wallet.setTrustedIssuers(trust)
        check("wallet: receive a credential bound to the Kotlin signer's key; list; show with display names") {
            credentialId = wallet.receive(credential)
            expect(wallet.receive(credential) == credentialId) { "receiving twice gave another id" }
            val list = wallet.list()
            expect(list.size == 1 && list[0].id == credentialId) { "list $list" }
            expect(list[0].types.contains("ResidencePermitCredential")) { "types ${list[0].types}" }
            val details = wallet.show(credentialId, "de")
            val given = details.claims.single { it.name == "given_name" }
            expect(given.valueJson == "\"Amira\"" && given.selectivelyDisclosable) { "$given" }
            expect(given.displayName != "given_name") { "no display name: $given" }
            expect(details.disclosablePaths.contains("address.locality")) { "${details.disclosablePaths}" }
        }

        check("wallet: receive refuses a credential bound to another key (holder_binding)") {
            val other = issue(stele, work, generateHolderKeyDid())
            val e = expectThrows<StelException.Rejected>("foreign credential") { wallet.receive(other) }
            expect(e.reasons.map { it.code } == listOf("holder_binding")) { "reasons ${e.reasons}" }
            expect(wallet.list().size == 1) { "stored a foreign credential" }
        }

        check("wallet: parse a challenge, present with the Kotlin signer, the core verifier accepts it") {
            val request = wallet.parseChallenge(challengeQr)
            expect(request.verifier == AUDIENCE) { "verifier ${request.verifier}" }
            expect(request.requestedClaims == listOf("given_name", "permit_type", "address.locality")) {
                "claims ${request.requestedClaims}"
            }
            expect(request.expires > now) { "expires ${request.expires}" }
            val calls = signer.calls
            val p = wallet.present(credentialId, challengeQr, request.requestedClaims)
            expect(signer.calls == calls + 1) { "the Kotlin signer was not asked to sign" }
            expect(p.qrPayload.startsWith("SP2:")) { "payload ${p.qrPayload.take(8)}" }
            expect(p.qrPayload.all { it in QR_ALPHANUMERIC }) { "payload not QR alphanumeric" }
            val size = p.qrMatrix.size.toInt()
            expect(size >= 21 && (size - 17) % 4 == 0) { "matrix size $size" }
            expect(p.qrMatrix.modules.size == size * size) { "modules ${p.qrMatrix.modules.size}" }
            expect(p.qrMatrix.modules.all { it == 0.toByte() || it == 1.toByte() }) { "modules not 0/1" }
            // Finder pattern: the top-left 7x7 corner's outer ring is dark.
            expect((0 until 7).all { p.qrMatrix.modules[it] == 1.toByte() }) { "no finder pattern" }
            val v = verifier.verify(p.qrPayload, now, AUDIENCE, nonce, true)
            expect(v.verified) { "not verified: ${v.reasons}" }
            expect(v.holderBinding == HolderBindingState.VERIFIED) { "holder binding ${v.holderBinding}" }
            expect(v.claimsJson.contains("\"given_name\":\"Amira\"")) { "claims ${v.claimsJson}" }
            expect(!v.claimsJson.contains("birth_date")) { "undisclosed claim leaked" }
            val wrongNonce = verifier.verify(p.qrPayload, now, AUDIENCE, "another-nonce-1234", true)
            expect(!wrongNonce.verified) { "verified with another nonce" }
        }

        check("wallet: the activity log records the presentation, names only") {
            val log: List<ActivityEntry> = wallet.activityLog()
            expect(log.size == 1) { "log $log" }
            expect(log[0].verifier == AUDIENCE && log[0].credentialId == credentialId) { "${log[0]}" }
            expect(log[0].disclosed == listOf("address.locality", "given_name", "permit_type")) { "${log[0].disclosed}" }
            expect(!log.toString().contains("Amira")) { "a claim value in the log" }
        }

        check("wallet: typed errors (Cancelled signer, unknown claim, bad or expired challenge, unknown id)") {
            wallet.bindHardwareKey("strongbox-holder", CancellingSigner(signer))
            expectThrows<StelException.Cancelled>("cancelled signer") {
                wallet.present(credentialId, challengeQr, listOf("given_name"))
            }
            wallet.bindHardwareKey("strongbox-holder", signer)
            expectThrows<StelException.InvalidInput>("unknown claim") {
                wallet.present(credentialId, challengeQr, listOf("no_such_claim"))
            }
            expectThrows<StelException.InvalidInput>("not a challenge") { wallet.parseChallenge("HELLO") }
            expectThrows<StelException.NotFound>("unknown id") { wallet.show("nope", "en") }
            val (expired, _) = challenge(stele, "given_name", ttl = 1)
            Thread.sleep(2100)
            expectThrows<StelException.ChallengeExpired>("expired challenge (parse)") { wallet.parseChallenge(expired) }
            expectThrows<StelException.ChallengeExpired>("expired challenge (present)") {
                wallet.present(credentialId, expired, listOf("given_name"))
            }
            expect(wallet.activityLog().size == 1) { "a failed presentation was logged" }
        }

        check("wallet: a software Ed25519 holder key receives and presents too") {
            val key = wallet.createHolderKey(KeyAlg.ED25519)
            expect(key.hardwareAlias == null && key.available) { "$key" }
            val id = wallet.receive(issue(stele, work, key.did))
            val (qr, n) = challenge(stele, "age_over_18")
            val p = wallet.present(id, qr, listOf("age_over_18"))
            val v = verifier.verify(p.qrPayload, now, AUDIENCE, n, true)
            expect(v.verified && v.holderBinding == HolderBindingState.VERIFIED) { "${v.reasons}" }
            wallet.delete(id)
            expect(wallet.list().map { it.id } == listOf(credentialId)) { "delete: ${wallet.list()}" }
            expectThrows<StelException.NotFound>("delete twice") { wallet.delete(id) }
        }

        check("wallet: backup, then restore with a new KeyWrap; the hardware key needs re-binding") {
            val backup = wallet.backup("correct horse battery staple")
            val dir2 = File(work, "wallet-kotlin-restored").path
            expectThrows<StelException.WrongKey>("wrong backup passphrase") {
                restoreWallet(dir2, backup, "wrong passphrase", AesGcmKeyWrap()).wallet.close()
            }
            val wrap2 = AesGcmKeyWrap()
            val restored = restoreWallet(dir2, backup, "correct horse battery staple", wrap2)
            restored.wallet.use { w2 ->
                expect(restored.credentials == 1u) { "credentials ${restored.credentials}" }
                expect(restored.hardwareKeysNeedingRebinding == listOf("strongbox-holder")) {
                    "${restored.hardwareKeysNeedingRebinding}"
                }
                expectThrows<StelException.KeyNotBound>("present before re-binding") {
                    w2.present(credentialId, challengeQr, listOf("given_name"))
                }
                expect(w2.list().map { it.id } == listOf(credentialId)) { "restored ${w2.list()}" }
            }
            expectThrows<StelException.WrongKey>("restored wallet under the old wrap") {
                Wallet.open(dir2, keyWrap).close()
            }
        }
    }

    check("wallet: a passphrase wallet (desktop) opens only with its passphrase") {
        val pdir = File(work, "wallet-kotlin-pass").path
        Wallet.createWithPassphrase(pdir, "pass phrase one").use { it.createHolderKey(KeyAlg.P256) }
        expectThrows<StelException.WrongKey>("wrong passphrase") { Wallet.openWithPassphrase(pdir, "pass phrase two").close() }
        Wallet.openWithPassphrase(pdir, "pass phrase one").use { expect(it.holderKeys().size == 1) { "keys" } }
    }
}

fun generateHolderKeyDid(): String = dev.stele.ffi.generateHolderKey(KeyAlg.P256).did()

const val QR_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
