package dev.stele.android

import dev.stele.ffi.HttpResponse
import dev.stele.ffi.HttpTransport
import dev.stele.ffi.StelException
import java.io.IOException
import java.net.HttpURLConnection
import java.net.SocketTimeoutException
import java.net.URL

/**
 * The wallet's HTTP transport over `java.net.HttpURLConnection` (OkHttp on
 * Android, with the platform's TLS): POSTs JSON-RPC to the chain node. Only
 * `https` URLs unless [allowCleartext] (tests, a local node). Runs on the
 * calling thread, which [SteleWallet] keeps off the main thread.
 */
class UrlConnectionTransport(
    private val allowCleartext: Boolean = false,
    private val maxResponseBytes: Int = 32 * 1024 * 1024,
) : HttpTransport {
    override fun postJson(url: String, body: String, timeoutMs: UInt): HttpResponse {
        val u = try {
            URL(url)
        } catch (e: IOException) {
            throw StelException.InvalidInput("bad node URL")
        }
        if (u.protocol != "https" && !(allowCleartext && u.protocol == "http")) {
            throw StelException.InvalidInput("the chain node must be reached over https")
        }
        val timeout = timeoutMs.coerceAtMost(Int.MAX_VALUE.toUInt()).toInt()
        val c = u.openConnection() as HttpURLConnection
        try {
            c.requestMethod = "POST"
            c.connectTimeout = timeout
            c.readTimeout = timeout
            c.doOutput = true
            c.instanceFollowRedirects = false
            c.setRequestProperty("Content-Type", "application/json")
            c.outputStream.use { it.write(body.toByteArray(Charsets.UTF_8)) }
            val status = c.responseCode
            val stream = if (status in 200..299) c.inputStream else c.errorStream
            val bytes = stream?.use { s ->
                val buf = java.io.ByteArrayOutputStream()
                val chunk = ByteArray(16 * 1024)
                while (true) {
                    val n = s.read(chunk)
                    if (n < 0) break
                    if (buf.size() + n > maxResponseBytes) throw StelException.Unavailable("answer too large")
                    buf.write(chunk, 0, n)
                }
                buf.toByteArray()
            } ?: ByteArray(0)
            return HttpResponse(status.toUShort(), String(bytes, Charsets.UTF_8))
        } catch (e: SocketTimeoutException) {
            throw StelException.Unavailable("timed out")
        } catch (e: IOException) {
            throw StelException.Unavailable("could not reach the node: ${e.javaClass.simpleName}")
        } finally {
            c.disconnect()
        }
    }
}
