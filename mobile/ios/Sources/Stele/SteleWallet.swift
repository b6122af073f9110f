import Foundation
@_exported import SteleFFI

/// What a restore brought back, and the hardware keys that must be re-bound or re-issued.
public struct RestoreReport: Equatable, Sendable {
    public let credentials: Int
    public let hardwareKeysNeedingRebinding: [String]
}

/// The citizen's wallet for iOS apps: the generated `SteleFFI.Wallet` with
/// `async` methods. Every call runs on the wallet's own serial queue, never
/// the main thread (redb I/O, Argon2id, Secure Enclave prompts and chain
/// reads block), and throws `SteleError`.
public final class SteleWallet: @unchecked Sendable {
    private let ffi: Wallet
    private let queue: DispatchQueue

    private init(_ ffi: Wallet, queue: DispatchQueue) {
        self.ffi = ffi
        self.queue = queue
    }

    private static func makeQueue() -> DispatchQueue {
        DispatchQueue(label: "dev.stele.wallet", qos: .userInitiated)
    }

    /// Runs a blocking call on `queue`, mapping the bindings' errors.
    private static func run<T>(on queue: DispatchQueue, _ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try body())
                } catch let e as StelError {
                    continuation.resume(throwing: SteleError(e))
                } catch {
                    continuation.resume(throwing: SteleError.other(String(describing: error)))
                }
            }
        }
    }

    private func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await Self.run(on: queue, body)
    }

    /// Whether `directory` holds a wallet.
    public static func exists(at directory: URL) -> Bool {
        walletExists(dir: directory.path)
    }

    /// Creates a wallet in `directory`, its data key wrapped by `keyWrap` (e.g. `KeychainKeyWrap`).
    public static func create(at directory: URL, keyWrap: KeyWrap) async throws -> SteleWallet {
        let queue = makeQueue()
        return try await run(on: queue) { SteleWallet(try Wallet.create(dir: directory.path, keyWrap: keyWrap), queue: queue) }
    }

    /// Opens the wallet in `directory`; `SteleError.wrongKey` if `keyWrap` does not open it.
    public static func open(at directory: URL, keyWrap: KeyWrap) async throws -> SteleWallet {
        let queue = makeQueue()
        return try await run(on: queue) { SteleWallet(try Wallet.open(dir: directory.path, keyWrap: keyWrap), queue: queue) }
    }

    /// Opens the wallet in `directory`, creating it first if there is none.
    public static func openOrCreate(at directory: URL, keyWrap: KeyWrap) async throws -> SteleWallet {
        let queue = makeQueue()
        return try await run(on: queue) {
            let w = try walletExists(dir: directory.path)
                ? Wallet.open(dir: directory.path, keyWrap: keyWrap)
                : Wallet.create(dir: directory.path, keyWrap: keyWrap)
            return SteleWallet(w, queue: queue)
        }
    }

    /// Restores `backup` into a new wallet in `directory`.
    public static func restore(
        at directory: URL, backup: Data, passphrase: String, keyWrap: KeyWrap
    ) async throws -> (SteleWallet, RestoreReport) {
        let queue = makeQueue()
        return try await run(on: queue) {
            let r = try restoreWallet(dir: directory.path, backup: backup, passphrase: passphrase, keyWrap: keyWrap)
            return (SteleWallet(r.wallet, queue: queue),
                    RestoreReport(credentials: Int(r.credentials), hardwareKeysNeedingRebinding: r.hardwareKeysNeedingRebinding))
        }
    }

    /// A software holder key (kept encrypted in the wallet).
    public func createSoftwareKey(_ alg: KeyAlg = .p256) async throws -> HolderKeyInfo {
        try await run { try self.ffi.createHolderKey(alg: alg) }
    }

    /// Adds a hardware key (e.g. `SecureEnclaveSigner`); its private key stays in the Secure Enclave.
    public func addHardwareKey(alias: String, signer: Signer) async throws -> HolderKeyInfo {
        try await run { try self.ffi.addHardwareKey(alias: alias, signer: signer) }
    }

    /// Supplies the signer of a stored hardware key after `open`.
    public func bindHardwareKey(alias: String, signer: Signer) async throws {
        try await run { try self.ffi.bindHardwareKey(alias: alias, signer: signer) }
    }

    public func holderKeys() async throws -> [HolderKeyInfo] {
        try await run { try self.ffi.holderKeys() }
    }

    /// The did:key of every holder key: what to give an issuer.
    public func holderDids() async throws -> [String] {
        try await run { try self.ffi.holderDids() }
    }

    /// Issuers trusted when receiving (a trust file's JSON).
    public func setTrustedIssuers(_ trustListJson: String) async throws {
        try await run { try self.ffi.setTrustedIssuers(trustListJson: trustListJson) }
    }

    /// Reads did:ethr issuers, accreditation and status from the chain through `transport`.
    public func connectChain(rpcUrl: String, deploymentJson: String,
                             transport: HttpTransport = URLSessionTransport()) async throws {
        try await run { try self.ffi.connectChain(rpcUrl: rpcUrl, deploymentJson: deploymentJson, transport: transport) }
    }

    /// Verifies and stores a credential; its id. `SteleError.invalidCredential` with reasons otherwise.
    public func receive(_ credential: String) async throws -> String {
        try await run { try self.ffi.receive(credential: credential) }
    }

    public func list() async throws -> [CredentialSummary] {
        try await run { try self.ffi.list() }
    }

    /// A credential's claims, with display names in `locale`.
    public func show(_ id: String, locale: Locale = .current) async throws -> CredentialDetails {
        let tag = locale.identifier.replacingOccurrences(of: "_", with: "-")
        return try await run { try self.ffi.show(credentialId: id, locale: tag) }
    }

    public func delete(_ id: String) async throws {
        try await run { try self.ffi.delete(credentialId: id) }
    }

    /// What a scanned challenge asks for: show it, let the user confirm, then `present`.
    public func parseChallenge(_ challengeQr: String) async throws -> ChallengeRequest {
        try await run { try self.ffi.parseChallenge(challengeQr: challengeQr) }
    }

    /// The presentation QR for the counter (a Secure Enclave key may prompt the user).
    public func present(_ id: String, challengeQr: String, disclose: [String]) async throws -> Presentation {
        try await run { try self.ffi.present(credentialId: id, challengeQr: challengeQr, disclose: disclose) }
    }

    public func activityLog() async throws -> [ActivityEntry] {
        try await run { try self.ffi.activityLog() }
    }

    /// An encrypted backup (Argon2id + XChaCha20-Poly1305) under `passphrase`.
    public func backup(passphrase: String) async throws -> Data {
        try await run { try self.ffi.backup(passphrase: passphrase) }
    }
}
