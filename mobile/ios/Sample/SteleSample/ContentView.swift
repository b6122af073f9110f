import Stele
import SwiftUI

struct ContentView: View {
    @EnvironmentObject var model: WalletModel
    @State private var input = ""

    var body: some View {
        NavigationStack {
            VStack(alignment: .leading, spacing: 12) {
                Text("Holder: \(model.holderDid.prefix(32))…").font(.caption)
                if let message = model.message { Text(message).foregroundStyle(.tint) }

                if let p = model.presentation {
                    Text("Show this code at the counter").font(.headline)
                    QrCodeView(matrix: p.qrMatrix)
                    Text("Shared: " + p.disclosed.joined(separator: ", "))
                    Button("Done") { model.cancel() }
                } else if let pending = model.pending {
                    Text("\(pending.request.verifier) asks for:").font(.headline)
                    ForEach(pending.request.requestedClaims, id: \.self) { Text("• \($0)") }
                    HStack {
                        Button("Share") { Task { await model.confirm() } }.buttonStyle(.borderedProminent)
                        Button("Cancel") { model.cancel() }
                    }
                } else {
                    // A camera scanner (AVFoundation / VisionKit DataScannerViewController)
                    // would fill this field; pasting keeps the sample small.
                    TextField("Paste a credential or a counter's code (SC2:…)", text: $input, axis: .vertical)
                        .textFieldStyle(.roundedBorder)
                        .lineLimit(3 ... 6)
                    HStack {
                        Button("Add credential") { let t = input; input = ""; Task { await model.receive(t) } }
                        Button("Present") { let t = input; input = ""; Task { await model.readChallenge(t) } }
                    }
                    List(model.credentials, id: \.id) { c in
                        VStack(alignment: .leading) {
                            Text(c.types.last ?? "?")
                            Text(c.issuer).font(.caption).lineLimit(1)
                        }
                    }
                }
                Spacer()
            }
            .padding()
            .navigationTitle("Stele wallet")
        }
    }
}

/// Draws the matrix the wallet returned, quiet zone included.
struct QrCodeView: View {
    let matrix: QrCodeMatrix

    var body: some View {
        Canvas { context, size in
            let n = QrImage.modulesPerSide(matrix)
            let cell = min(size.width, size.height) / CGFloat(n)
            context.fill(Path(CGRect(origin: .zero, size: size)), with: .color(.white))
            for y in 0 ..< n {
                for x in 0 ..< n where QrImage.isDark(matrix, x: x, y: y) {
                    context.fill(Path(CGRect(x: CGFloat(x) * cell, y: CGFloat(y) * cell, width: cell, height: cell)),
                                 with: .color(.black))
                }
            }
        }
        .aspectRatio(1, contentMode: .fit)
    }
}
