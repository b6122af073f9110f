// The platform-independent part of mobile/android's stele-android module
// (SteleWallet, SteleError, QrImage, Jwk, UrlConnectionTransport), compiled
// with the generated bindings and run on the JVM (from Smoke.kt's main).
// KeystoreKeyWrap and StrongBoxSigner need the Android SDK and are not
// compiled here; AesGcmKeyWrap and JcaP256Signer stand in for them.

import com.sun.net.httpserver.HttpServer
import dev.stele.android.QrImage
import dev.stele.android.SteleError
import dev.stele.android.SteleWallet
import dev.stele.android.UrlConnectionTransport
import dev.stele.android.Jwk
import dev.stele.ffi.StelException
import dev.stele.ffi.didKeyFromJwk
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.runBlocking
import java.io.File
import java.net.InetSocketAddress
import java.security.KeyPairGenerator
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.Locale
import java.util.concurrent.Executors

/** A signer that records the thread it was called on. */
class ThreadRecordingSigner(private val inner: JcaP256Signer) : dev.stele.ffi.Signer by inner {
    val threads = mutableListOf<String>()

    override fun sign(message: ByteArray): ByteArray {
        threads += Thread.currentThread().name
        return inner.sign(message)
    }
}

fun androidWrapperFlow(stele: String, work: File) {
    val trust = File(work, "trust.json").readText()
    val verifier = dev.stele.ffi.Verifier(trust)
    val now = System.currentTimeMillis() / 1000
    val executor = Executors.newSingleThreadExecutor { r -> Thread(r, "stele-io") }
    val io = executor.asCoroutineDispatcher()
    val dir = File(work, "wallet-android")
    val keyWrap = AesGcmKeyWrap()
    val signer = ThreadRecordingSigner(JcaP256Signer())

    check("android: SteleWallet suspend API runs on its dispatcher; receive, present, verify") {
        runBlocking {
            expect(!SteleWallet.exists(dir)) { "exists before create" }
            SteleWallet.openOrCreate(dir, keyWrap, io).use { w ->
                val key = w.addHardwareKey("strongbox-holder", signer)
                w.setTrustedIssuers(trust)
                val id = w.receive(issue(stele, work, key.did))
                val details = w.show(id, Locale.GERMAN)
                expect(details.claims.any { it.name == "family_name" }) { "claims ${details.claims}" }
                val (qr, nonce) = challenge(stele, "given_name")
                val request = w.parseChallenge(qr)
                val p = w.present(id, qr, request.requestedClaims)
                expect(signer.threads == listOf("stele-io")) { "signed on ${signer.threads}" }
                val v = verifier.verify(p.qrPayload, now, AUDIENCE, nonce, true)
                expect(v.verified) { "not verified: ${v.reasons}" }

                // QrImage: the quiet zone is light, the finder pattern dark.
                val scale = 3
                val side = QrImage.side(p.qrMatrix, scale)
                val px = QrImage.pixels(p.qrMatrix, scale)
                expect(side == (p.qrMatrix.size.toInt() + 8) * scale && px.size == side * side) { "side $side" }
                val dark = 0xFF000000.toInt()
                expect(px[0] != dark && px[side * side - 1] != dark) { "quiet zone not light" }
                val q = QrImage.QUIET_ZONE * scale
                expect(px[q * side + q] == dark) { "finder pattern corner not dark" }
                val darkModules = (0 until QrImage.modulesPerSide(p.qrMatrix)).sumOf { y ->
                    (0 until QrImage.modulesPerSide(p.qrMatrix)).count { x -> QrImage.isDark(p.qrMatrix, x, y) }
                }
                expect(darkModules == p.qrMatrix.modules.count { it == 1.toByte() }) { "dark modules $darkModules" }
            }
            SteleWallet.open(dir, keyWrap, io).use { w -> expect(w.list().size == 1) { "reopen" } }
        }
    }

    check("android: errors arrive as SteleError (WrongKey, InvalidCredential with reasons, KeyNotBound)") {
        runBlocking {
            expectThrows<SteleError.WrongKey>("wrong key") { runBlocking { SteleWallet.open(dir, AesGcmKeyWrap(), io).close() } }
            SteleWallet.open(dir, keyWrap, io).use { w ->
                w.setTrustedIssuers(trust)
                val e = expectThrows<SteleError.InvalidCredential>("foreign credential") {
                    runBlocking { w.receive(issue(stele, work, generateHolderKeyDid())) }
                }
                expect(e.reasons.map { it.code } == listOf("holder_binding")) { "reasons ${e.reasons}" }
                val id = w.list().single().id
                val (qr, _) = challenge(stele, "given_name")
                expectThrows<SteleError.KeyNotBound>("unbound key") { runBlocking { w.present(id, qr, listOf("given_name")) } }
                expectThrows<SteleError.InvalidInput>("not a challenge") { runBlocking { w.parseChallenge("SP2:AAAA") } }
            }
        }
    }

    check("android: Jwk.p256 gives the did:key of a platform P-256 key") {
        val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        val did = didKeyFromJwk(Jwk.p256(pair.public as ECPublicKey))
        expect(did.startsWith("did:key:zDn")) { "did $did" }
    }

    check("android: UrlConnectionTransport posts JSON; unreachable is Unavailable; http refused unless allowed") {
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/") { ex ->
            val body = ex.requestBody.readBytes().toString(Charsets.UTF_8)
            val ok = ex.requestHeaders.getFirst("Content-Type") == "application/json" && ex.requestMethod == "POST"
            val answer = if (ok) """{"echo":$body}""" else "bad request"
            val bytes = answer.toByteArray()
            ex.sendResponseHeaders(if (ok) 200 else 400, bytes.size.toLong())
            ex.responseBody.use { it.write(bytes) }
        }
        server.start()
        try {
            val url = "http://127.0.0.1:${server.address.port}/rpc"
            val r = UrlConnectionTransport(allowCleartext = true).postJson(url, """{"id":1}""", 2000u)
            expect(r.status.toInt() == 200 && r.body == """{"echo":{"id":1}}""") { "response $r" }
            expectThrows<StelException.InvalidInput>("cleartext") { UrlConnectionTransport().postJson(url, "{}", 2000u) }
        } finally {
            server.stop(0)
        }
        val closed = java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1")).use { it.localPort }
        expectThrows<StelException.Unavailable>("closed port") {
            UrlConnectionTransport(allowCleartext = true).postJson("http://127.0.0.1:$closed/", "{}", 2000u)
        }
    }
    executor.shutdown()
}
