package dev.stele.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.stele.android.KeystoreKeyWrap
import dev.stele.android.SteleError
import dev.stele.android.SteleWallet
import dev.stele.android.StrongBoxSigner
import dev.stele.ffi.ChallengeRequest
import dev.stele.ffi.CredentialSummary
import dev.stele.ffi.Presentation
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.File

/** What the screen shows. */
data class UiState(
    val holderDid: String = "",
    val credentials: List<CredentialSummary> = emptyList(),
    val pendingChallenge: Pair<String, ChallengeRequest>? = null,
    val presentation: Presentation? = null,
    val message: String? = null,
)

/**
 * Opens the wallet (data key wrapped in AndroidKeyStore, holder key in
 * StrongBox or the TEE) and runs every call through SteleWallet's suspend
 * functions, which leave the main thread.
 */
class WalletModel(app: Application) : AndroidViewModel(app) {
    private val _state = MutableStateFlow(UiState())
    val state: StateFlow<UiState> = _state
    private var wallet: SteleWallet? = null

    init {
        launchCatching {
            val dir = File(app.filesDir, "wallet")
            val w = SteleWallet.openOrCreate(dir, KeystoreKeyWrap())
            // Key store and asset reads block: not on the main thread.
            val signer = withContext(Dispatchers.IO) { StrongBoxSigner.getOrCreate(app, HOLDER_ALIAS) }
            val trust = withContext(Dispatchers.IO) { app.assets.open("trust.json").bufferedReader().use { it.readText() } }
            if (w.holderKeys().none { it.hardwareAlias == HOLDER_ALIAS }) {
                w.addHardwareKey(HOLDER_ALIAS, signer)
            } else {
                w.bindHardwareKey(HOLDER_ALIAS, signer)
            }
            w.setTrustedIssuers(trust)
            wallet = w
            _state.value = _state.value.copy(holderDid = w.holderDids().first(), credentials = w.list())
        }
    }

    fun receive(text: String) = launchCatching {
        val w = wallet ?: return@launchCatching
        w.receive(text.trim())
        _state.value = _state.value.copy(credentials = w.list(), message = "Credential added")
    }

    /** Step 1 at the counter: read the challenge and ask the user. */
    fun readChallenge(qr: String) = launchCatching {
        val w = wallet ?: return@launchCatching
        _state.value = _state.value.copy(pendingChallenge = qr.trim() to w.parseChallenge(qr.trim()), presentation = null)
    }

    /** Step 2, after the user confirmed: present the first matching credential. */
    fun confirm() = launchCatching {
        val w = wallet ?: return@launchCatching
        val (qr, request) = _state.value.pendingChallenge ?: return@launchCatching
        val credential = w.list().firstOrNull { c -> request.credentialTypes.isEmpty() || c.types.any { it in request.credentialTypes } }
            ?: throw SteleError.NotFound("no matching credential")
        val p = w.present(credential.id, qr, request.requestedClaims)
        _state.value = _state.value.copy(pendingChallenge = null, presentation = p)
    }

    fun cancel() {
        _state.value = _state.value.copy(pendingChallenge = null, presentation = null)
    }

    private fun launchCatching(body: suspend () -> Unit) {
        viewModelScope.launch {
            try {
                body()
            } catch (e: SteleError) {
                _state.value = _state.value.copy(message = describe(e))
            }
        }
    }

    override fun onCleared() {
        wallet?.close()
    }

    companion object {
        const val HOLDER_ALIAS = "stele-holder"

        /** Plain words for the user; never claim values. */
        fun describe(e: SteleError): String = when (e) {
            is SteleError.InvalidCredential -> "Refused: " + e.reasons.joinToString { it.message }
            is SteleError.ChallengeExpired -> "The code expired. Ask for a new one."
            is SteleError.Cancelled -> "Cancelled."
            is SteleError.WrongKey -> "This wallet cannot be opened on this device."
            is SteleError.KeyStore -> "The key store refused: ${e.detail}"
            is SteleError.Network -> "No connection. Try again."
            else -> e.message ?: "Something went wrong."
        }
    }
}
