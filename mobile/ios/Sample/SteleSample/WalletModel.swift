import Foundation
import Stele

/// Opens the wallet (data key wrapped with a Keychain key, holder key in the
/// Secure Enclave) and runs every call through SteleWallet's async methods,
/// which leave the main thread.
@MainActor
final class WalletModel: ObservableObject {
    @Published var holderDid = ""
    @Published var credentials: [CredentialSummary] = []
    @Published var pending: (qr: String, request: ChallengeRequest)?
    @Published var presentation: Presentation?
    @Published var message: String?

    private var wallet: SteleWallet?
    static let holderAlias = "stele-holder"

    func load() async {
        await attempt {
            let dir = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask,
                                                  appropriateFor: nil, create: true)
                .appendingPathComponent("wallet", isDirectory: true)
            let w = try await SteleWallet.openOrCreate(at: dir, keyWrap: KeychainKeyWrap())
            if SecureEnclaveSigner.isAvailable {
                let signer = try SecureEnclaveSigner.getOrCreate(alias: Self.holderAlias)
                if try await w.holderKeys().contains(where: { $0.hardwareAlias == Self.holderAlias }) {
                    try await w.bindHardwareKey(alias: Self.holderAlias, signer: signer)
                } else {
                    _ = try await w.addHardwareKey(alias: Self.holderAlias, signer: signer)
                }
            } else if try await w.holderKeys().isEmpty {
                // The simulator has no Secure Enclave: a software key, encrypted in the wallet.
                _ = try await w.createSoftwareKey(.p256)
            }
            if let url = Bundle.main.url(forResource: "trust", withExtension: "json") {
                try await w.setTrustedIssuers(String(contentsOf: url, encoding: .utf8))
            }
            wallet = w
            holderDid = try await w.holderDids().first ?? ""
            credentials = try await w.list()
        }
    }

    func receive(_ text: String) async {
        await attempt {
            guard let w = wallet else { return }
            _ = try await w.receive(text.trimmingCharacters(in: .whitespacesAndNewlines))
            credentials = try await w.list()
            message = "Credential added"
        }
    }

    /// Step 1 at the counter: read the challenge and ask the user.
    func readChallenge(_ qr: String) async {
        await attempt {
            guard let w = wallet else { return }
            let trimmed = qr.trimmingCharacters(in: .whitespacesAndNewlines)
            pending = (trimmed, try await w.parseChallenge(trimmed))
            presentation = nil
        }
    }

    /// Step 2, after the user confirmed: present the first matching credential.
    func confirm() async {
        await attempt {
            guard let w = wallet, let pending else { return }
            let (qr, request) = pending
            guard let c = try await w.list().first(where: { c in
                request.credentialTypes.isEmpty || c.types.contains(where: request.credentialTypes.contains)
            }) else { throw SteleError.notFound("no matching credential") }
            presentation = try await w.present(c.id, challengeQr: qr, disclose: request.requestedClaims)
            pending = nil
        }
    }

    func cancel() {
        pending = nil
        presentation = nil
    }

    private func attempt(_ body: () async throws -> Void) async {
        do {
            try await body()
        } catch let e as SteleError {
            message = Self.describe(e)
        } catch {
            message = "Something went wrong."
        }
    }

    /// Plain words for the user; never claim values.
    static func describe(_ e: SteleError) -> String {
        switch e {
        case let .invalidCredential(reasons): return "Refused: " + reasons.map(\.message).joined(separator: " ")
        case .challengeExpired: return "The code expired. Ask for a new one."
        case .cancelled: return "Cancelled."
        case .wrongKey: return "This wallet cannot be opened on this device."
        case let .keyStore(detail): return "The key store refused: \(detail)"
        case .network: return "No connection. Try again."
        default: return "Something went wrong."
        }
    }
}
