package dev.stele.sample

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewmodel.compose.viewModel
import dev.stele.android.QrImage
import dev.stele.ffi.QrCodeMatrix

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent { MaterialTheme { WalletScreen() } }
    }
}

@Composable
fun WalletScreen(model: WalletModel = viewModel()) {
    val state by model.state.collectAsState()
    var input by remember { mutableStateOf("") }
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("Holder: ${state.holderDid.take(32)}…", style = MaterialTheme.typography.bodySmall)
        state.message?.let { Text(it, color = MaterialTheme.colorScheme.primary) }

        val presentation = state.presentation
        val pending = state.pendingChallenge
        when {
            presentation != null -> {
                Text("Show this code at the counter", style = MaterialTheme.typography.titleMedium)
                QrCode(presentation.qrMatrix, Modifier.fillMaxWidth())
                Text("Shared: " + presentation.disclosed.joinToString())
                OutlinedButton(onClick = model::cancel) { Text("Done") }
            }
            pending != null -> {
                val request = pending.second
                Text("${request.verifier} asks for:", style = MaterialTheme.typography.titleMedium)
                request.requestedClaims.forEach { Text("• $it") }
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Button(onClick = model::confirm) { Text("Share") }
                    OutlinedButton(onClick = model::cancel) { Text("Cancel") }
                }
            }
            else -> {
                // A camera scanner (ML Kit, ZXing) would fill this field; pasting keeps the sample small.
                OutlinedTextField(
                    value = input,
                    onValueChange = { input = it },
                    label = { Text("Paste a credential or a counter's code (SC2:…)") },
                    modifier = Modifier.fillMaxWidth(),
                )
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Button(onClick = { model.receive(input); input = "" }) { Text("Add credential") }
                    Button(onClick = { model.readChallenge(input); input = "" }) { Text("Present") }
                }
                Text("Credentials", style = MaterialTheme.typography.titleMedium)
                LazyColumn {
                    items(state.credentials, key = { it.id }) { c ->
                        Text("${c.types.lastOrNull() ?: "?"} — ${c.issuer.take(24)}…", Modifier.padding(vertical = 4.dp))
                    }
                }
            }
        }
    }
}

/** Draws the matrix the wallet returned, quiet zone included, one square per dark module. */
@Composable
fun QrCode(matrix: QrCodeMatrix, modifier: Modifier = Modifier) {
    Canvas(modifier.aspectRatio(1f).background(Color.White)) {
        val n = QrImage.modulesPerSide(matrix)
        val cell = size.minDimension / n
        for (y in 0 until n) {
            for (x in 0 until n) {
                if (QrImage.isDark(matrix, x, y)) {
                    drawRect(Color.Black, topLeft = Offset(x * cell, y * cell), size = Size(cell, cell))
                }
            }
        }
    }
}
